    var mant = u;
    var e = f64(0.0);
    if (mant < f64(1.0)) {
        if (mant < f64(1.0) / f64(4294967296.0)) { mant = mant * f64(4294967296.0); e = e - f64(32.0); }
        if (mant < f64(1.0) / f64(65536.0)) { mant = mant * f64(65536.0); e = e - f64(16.0); }
        if (mant < f64(1.0) / f64(256.0)) { mant = mant * f64(256.0); e = e - f64(8.0); }
        if (mant < f64(1.0) / f64(16.0)) { mant = mant * f64(16.0); e = e - f64(4.0); }
        if (mant < f64(1.0) / f64(4.0)) { mant = mant * f64(4.0); e = e - f64(2.0); }
        if (mant < f64(1.0) / f64(2.0)) { mant = mant * f64(2.0); e = e - f64(1.0); }
        mant = mant * f64(2.0);
        e = e - f64(1.0);
    }
