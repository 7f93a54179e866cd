//! `final_states.parquet`: one row per trajectory, columns `trajectory`
//! (INT64), one DOUBLE per coordinate (named as in the game, `q1`,
//! `v[0,2]`, ...), `fate` (UTF-8), `fate_step`, `lock_in` and `basin`
//! (optional INT64). Written with the parquet crate's low-level writer, uncompressed.

use crate::output::{basin, fate};
use crate::CliError;
use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use stackel_runtime::StudyResult;
use std::path::Path;
use std::sync::Arc;

fn column(name: &str, physical: Physical, repetition: Repetition) -> Result<Arc<Type>, CliError> {
    let mut b = Type::primitive_type_builder(name, physical).with_repetition(repetition);
    if physical == Physical::BYTE_ARRAY {
        b = b.with_logical_type(Some(LogicalType::String));
    }
    Ok(Arc::new(
        b.build()
            .map_err(|e| CliError(format!("parquet schema: {e}")))?,
    ))
}

/// Optional INT64 values as (values, definition levels).
fn optional(v: impl Iterator<Item = Option<u64>>) -> (Vec<i64>, Vec<i16>) {
    let (mut values, mut levels) = (Vec::new(), Vec::new());
    for x in v {
        levels.push(x.is_some() as i16);
        if let Some(x) = x {
            values.push(x as i64);
        }
    }
    (values, levels)
}

/// Writes `r`'s final states to `path`.
pub fn write_final_states(path: &Path, r: &StudyResult) -> Result<(), CliError> {
    let err = |e: parquet::errors::ParquetError| {
        CliError(format!("cannot write {}: {e}", path.display()))
    };
    let d = r.coordinates.len().max(1);
    let rows = r.final_states.len() / d;
    let mut fields = vec![column("trajectory", Physical::INT64, Repetition::REQUIRED)?];
    for c in &r.coordinates {
        fields.push(column(c, Physical::DOUBLE, Repetition::REQUIRED)?);
    }
    fields.push(column("fate", Physical::BYTE_ARRAY, Repetition::REQUIRED)?);
    fields.push(column("fate_step", Physical::INT64, Repetition::OPTIONAL)?);
    fields.push(column("lock_in", Physical::INT64, Repetition::OPTIONAL)?);
    fields.push(column("basin", Physical::INT64, Repetition::OPTIONAL)?);
    let schema = Type::group_type_builder("final_states")
        .with_fields(fields)
        .build()
        .map_err(err)?;
    let file = std::fs::File::create(path)
        .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?;
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), props).map_err(err)?;
    let mut group = writer.next_row_group().map_err(err)?;
    let mut k = 0;
    while let Some(mut col) = group.next_column().map_err(err)? {
        match k {
            0 => {
                let v: Vec<i64> = (0..rows).map(|j| (r.first + j as u64) as i64).collect();
                col.typed::<Int64Type>()
                    .write_batch(&v, None, None)
                    .map_err(err)?;
            }
            i if i <= r.coordinates.len() => {
                let v: Vec<f64> = (0..rows).map(|j| r.final_states[j * d + i - 1]).collect();
                col.typed::<DoubleType>()
                    .write_batch(&v, None, None)
                    .map_err(err)?;
            }
            i if i == r.coordinates.len() + 1 => {
                let v: Vec<ByteArray> =
                    r.fates.iter().map(|f| ByteArray::from(fate(f).0)).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&v, None, None)
                    .map_err(err)?;
            }
            i if i == r.coordinates.len() + 2 => {
                let (v, levels) = optional(r.fates.iter().map(|f| fate(f).1.parse().ok()));
                col.typed::<Int64Type>()
                    .write_batch(&v, Some(&levels), None)
                    .map_err(err)?;
            }
            i if i == r.coordinates.len() + 3 => {
                let (v, levels) = optional((0..rows).map(|j| r.lock_in.get(j).copied().flatten()));
                col.typed::<Int64Type>()
                    .write_batch(&v, Some(&levels), None)
                    .map_err(err)?;
            }
            _ => {
                let (v, levels) = optional((0..rows).map(|j| basin(r, j).map(|b| b as u64)));
                col.typed::<Int64Type>()
                    .write_batch(&v, Some(&levels), None)
                    .map_err(err)?;
            }
        }
        col.close().map_err(err)?;
        k += 1;
    }
    group.close().map_err(err)?;
    writer.close().map_err(err)?;
    Ok(())
}
