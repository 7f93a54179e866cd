//! The reproduction's summary: each measured number beside the paper's and
//! the closed form, with a note explaining any difference; written as
//! Markdown (for people) and JSON (for tools).

use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One compared quantity.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// What is compared.
    pub quantity: String,
    /// What stackel measured.
    pub measured: String,
    /// What the paper reports (if it does).
    pub paper: Option<String>,
    /// Closed form or independent reference (if any).
    pub reference: Option<String>,
    /// Whether the measurement agrees with the reference within the stated tolerance
    /// (`None` when there is nothing to check against).
    pub agrees: Option<bool>,
    /// Free-text remark.
    pub note: String,
}

impl Row {
    /// A row with what was measured and nothing to compare yet.
    pub fn new(quantity: impl Into<String>, measured: impl Into<String>) -> Self {
        Row {
            quantity: quantity.into(),
            measured: measured.into(),
            paper: None,
            reference: None,
            agrees: None,
            note: String::new(),
        }
    }
    /// Adds the paper's value.
    pub fn paper(mut self, p: impl Into<String>) -> Self {
        self.paper = Some(p.into());
        self
    }
    /// Adds a reference value and whether the measurement agrees with it.
    pub fn reference(mut self, r: impl Into<String>, agrees: bool) -> Self {
        self.reference = Some(r.into());
        self.agrees = Some(agrees);
        self
    }
    /// Adds a remark.
    pub fn note(mut self, n: impl Into<String>) -> Self {
        self.note = n.into();
        self
    }
}

/// One experiment's section.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// The section heading.
    pub title: String,
    /// Parameters and setup, one line each.
    pub setup: Vec<String>,
    /// The compared quantities.
    pub rows: Vec<Row>,
    /// Free text (explanations, tables rendered as Markdown).
    pub text: Vec<String>,
    /// Figure files (relative to the output folder).
    pub figures: Vec<String>,
    /// Machine-readable extra data.
    pub data: serde_json::Value,
}

impl Section {
    /// An empty section.
    pub fn new(title: impl Into<String>) -> Self {
        Section {
            title: title.into(),
            setup: vec![],
            rows: vec![],
            text: vec![],
            figures: vec![],
            data: serde_json::Value::Null,
        }
    }
}

/// The whole summary.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Heading of the summary.
    pub title: String,
    /// Which size was run (default or full), the Monte-Carlo size and the seed.
    pub mode: String,
    /// One section per experiment.
    pub sections: Vec<Section>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

impl Summary {
    /// Rows whose check failed.
    pub fn disagreements(&self) -> Vec<(&str, &Row)> {
        self.sections
            .iter()
            .flat_map(|s| s.rows.iter().map(move |r| (s.title.as_str(), r)))
            .filter(|(_, r)| r.agrees == Some(false))
            .collect()
    }

    /// The summary as Markdown (summary.md).
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# {}\n", self.title);
        let _ = writeln!(
            md,
            "Mode: {}. Wall time: {:.1} s.\n",
            self.mode, self.seconds
        );
        for s in &self.sections {
            let _ = writeln!(md, "## {}\n", s.title);
            for l in &s.setup {
                let _ = writeln!(md, "- {l}");
            }
            if !s.setup.is_empty() {
                md.push('\n');
            }
            if !s.rows.is_empty() {
                md.push_str("| quantity | stackel | paper | reference | agrees | note |\n");
                md.push_str("|---|---|---|---|---|---|\n");
                for r in &s.rows {
                    let _ = writeln!(
                        md,
                        "| {} | {} | {} | {} | {} | {} |",
                        r.quantity,
                        r.measured,
                        r.paper.as_deref().unwrap_or("-"),
                        r.reference.as_deref().unwrap_or("-"),
                        match r.agrees {
                            Some(true) => "yes",
                            Some(false) => "**NO**",
                            None => "-",
                        },
                        r.note
                    );
                }
                md.push('\n');
            }
            for t in &s.text {
                let _ = writeln!(md, "{t}\n");
            }
            for f in &s.figures {
                if f.ends_with(".png") {
                    let _ = writeln!(md, "![{f}]({f})\n");
                }
            }
        }
        md
    }

    /// Writes `summary.md` and `summary.json` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::write(dir.join("summary.md"), self.to_markdown())?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("summary.json"), json)
    }
}
