#!/usr/bin/env python3
"""Fits the crossed model of `pingshen calibrate` with statsmodels' MixedLM and compares it with Pingshen's fit.

    python3 scripts/check-calibration.py IN.json [OUT.json]

IN.json (written by the Swift test Tests/PingshenCoreTests/CalibrationTests.swift):
    {"sheets": [{"applicant": "A0001", "reviewer": "R001", "score": 71.5}, ...],
     "pingshen": {"reviewers": {"R001": {"severity": -3.2, "se": 1.1}, ...},
                  "applicants": {"A0001": {"adjusted": 70.1, "se": 2.0}, ...},
                  "variance": {"reviewer": 9.1, "residual": 15.8}},
     "tolerance": {"points": 0.02, "relative": 0.02}}

Model (the same as Pingshen's): score ~ 0 + C(applicant) (one fixed level per applicant), a random
intercept per reviewer (groups = reviewer), REML. Writes the differences to OUT.json (or stdout) and exits 1
when any exceeds the tolerance: severities and adjusted scores within `points`, their standard errors and
the two variances within `relative` (relative difference).

statsmodels is installed from PyPI when missing (python3 -m pip install statsmodels).
"""
import json
import subprocess
import sys
import warnings


def ensure_statsmodels():
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "statsmodels"]
        if subprocess.call(cmd) != 0:
            subprocess.check_call(cmd + ["--break-system-packages"])


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_statsmodels()
    import numpy as np
    import pandas as pd
    import statsmodels.formula.api as smf

    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    df = pd.DataFrame(spec["sheets"])
    mine = spec["pingshen"]
    tol = spec.get("tolerance", {"points": 0.02, "relative": 0.02})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm("score ~ 0 + C(applicant)", df, groups=df["reviewer"])
        fit = None
        # The default optimizer first, then others: keep the fit with the highest REML criterion.
        for method in (["lbfgs"], ["bfgs"], ["powell"], ["nm"]):
            try:
                f = model.fit(reml=True, method=method)
            except Exception:  # noqa: BLE001 — try the next optimizer
                continue
            if fit is None or f.llf > fit.llf:
                fit = f
    if fit is None:
        print("statsmodels could not fit the model", file=sys.stderr)
        return 1

    sigma2 = float(fit.scale)
    # cov_re is on the scale of the data (statsmodels reports it unscaled in the results object).
    sigma_b2 = float(fit.cov_re.iloc[0, 0])
    fe = fit.fe_params
    bse = fit.bse_fe

    def key(a):
        return "C(applicant)[%s]" % a

    diffs = {"severity": 0.0, "severity_se": 0.0, "adjusted": 0.0, "adjusted_se": 0.0}
    worst = {}
    for rid, r in mine["reviewers"].items():
        if rid not in fit.random_effects:
            continue
        theirs = float(np.asarray(fit.random_effects[rid])[0])
        d = abs(theirs - r["severity"])
        if d > diffs["severity"]:
            diffs["severity"], worst["severity"] = d, rid
    for aid, a in mine["applicants"].items():
        k = key(aid)
        if k not in fe.index:
            continue
        d = abs(float(fe[k]) - a["adjusted"])
        if d > diffs["adjusted"]:
            diffs["adjusted"], worst["adjusted"] = d, aid
        if a.get("se") is not None:
            rel = abs(float(bse[k]) - a["se"]) / max(float(bse[k]), 1e-9)
            if rel > diffs["adjusted_se"]:
                diffs["adjusted_se"], worst["adjusted_se"] = rel, aid
    v = mine["variance"]
    var_rel = {
        "reviewer": abs(sigma_b2 - v["reviewer"]) / max(sigma_b2, 1e-9),
        "residual": abs(sigma2 - v["residual"]) / max(sigma2, 1e-9),
    }
    ok = (diffs["severity"] <= tol["points"] and diffs["adjusted"] <= tol["points"]
          and diffs["adjusted_se"] <= tol["relative"]
          and var_rel["reviewer"] <= tol["relative"] and var_rel["residual"] <= tol["relative"])
    report = {
        "ok": ok,
        "statsmodels": {"version": __import__("statsmodels").__version__, "reviewer_variance": sigma_b2,
                        "residual_variance": sigma2, "reml_llf": float(fit.llf), "converged": bool(fit.converged)},
        "max_abs_diff": {"severity": diffs["severity"], "adjusted": diffs["adjusted"]},
        "max_rel_diff": {"adjusted_se": diffs["adjusted_se"], "reviewer_variance": var_rel["reviewer"],
                         "residual_variance": var_rel["residual"]},
        "worst": worst,
        "tolerance": tol,
        "sheets": len(df),
    }
    text = json.dumps(report, indent=2)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
