"""The Python side of `mainspring bench`: the same work on the same data with the tools users would pick instead.

    python compare.py versions
    python compare.py score  --model model.onnx --rows rows.f32 --cols 11 --calls 20000 --batches 400
    python compare.py train  --dir <dir> --cols 11 --c <C> --pos-weight 5 --repetitions 3
    python compare.py drift  --dir <dir> --meta drift.json --repetitions 3

Inputs are raw little-endian arrays written by the harness (float32 features, uint8 labels). Each command prints one
JSON object on stdout; timings are measured here with perf_counter_ns around the work only (not imports or loading).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently's usage telemetry: off, and no network wait inside a timing


def percentiles(values_ns, unit_div):
    import numpy as np

    a = np.asarray(values_ns, dtype=np.float64) / unit_div
    return {
        "n": int(a.size),
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "p99": float(np.percentile(a, 99)),
        "mean": float(a.mean()),
    }


def cmd_versions(_args):
    out = {"python": sys.version.split()[0]}
    for name in ("numpy", "pandas", "sklearn", "onnxruntime", "evidently", "scipy"):
        try:
            module = __import__(name)
            out[name] = getattr(module, "__version__", "?")
        except Exception as exc:  # report what is missing, do not fail the whole command
            out[name] = f"unavailable: {exc}"
    return out


def cmd_score(args):
    import numpy as np
    import onnxruntime as ort

    rows = np.fromfile(args.rows, dtype="<f4").reshape(-1, args.cols)
    opts = ort.SessionOptions()
    # Same settings as mainspring's runtime (src/model/runtime.ts createOrtSession).
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    sess = ort.InferenceSession(args.model, sess_options=opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    n = rows.shape[0]
    single = [rows[i : i + 1] for i in range(n)]
    for i in range(min(2000, args.calls)):
        sess.run(None, {name: single[i % n]})
    times = []
    clock = time.perf_counter_ns
    for i in range(args.calls):
        x = single[i % n]
        t0 = clock()
        sess.run(None, {name: x})
        times.append(clock() - t0)
    batches = [np.ascontiguousarray(rows[(k * 256) % (n - 256) : (k * 256) % (n - 256) + 256]) for k in range(16)]
    for b in batches:
        sess.run(None, {name: b})
    btimes = []
    for k in range(args.batches):
        b = batches[k % len(batches)]
        t0 = clock()
        sess.run(None, {name: b})
        btimes.append(clock() - t0)
    return {"onnxruntime": ort.__version__, "singleMicros": percentiles(times, 1e3), "batch256Ms": percentiles(btimes, 1e6)}


def cmd_train(args):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    import sklearn

    d = args.dir
    Xtr = np.fromfile(os.path.join(d, "train-x.f32"), dtype="<f4").reshape(-1, args.cols).astype(np.float64)
    ytr = np.fromfile(os.path.join(d, "train-y.u8"), dtype=np.uint8)
    Xho = np.fromfile(os.path.join(d, "holdout-x.f32"), dtype="<f4").reshape(-1, args.cols).astype(np.float64)
    yho = np.fromfile(os.path.join(d, "holdout-y.u8"), dtype=np.uint8)
    fits = []
    model = None
    for _ in range(args.repetitions):
        # Same objective as mainspring's trainer: standardized features, class weights 1:pos, L2 on coefficients.
        model = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=args.c, class_weight={0: 1.0, 1: args.pos_weight}, max_iter=1000),
        )
        t0 = time.perf_counter_ns()
        model.fit(Xtr, ytr)
        fits.append((time.perf_counter_ns() - t0) / 1e9)
    scores = model.predict_proba(Xho)[:, 1]
    lr = model[-1]
    return {
        "sklearn": sklearn.__version__,
        "solver": lr.solver,
        "iterations": int(np.max(lr.n_iter_)),
        "fitSeconds": fits,
        "fitSecondsMedian": float(np.median(fits)),
        "holdoutAuc": float(roc_auc_score(yho, scores)),
        "trainRows": int(Xtr.shape[0]),
        "holdoutRows": int(Xho.shape[0]),
    }


P_VALUE_METHODS = ("K-S", "ks", "chi", "Z-test", "z", "fisher", "anderson", "cramer", "mannw", "t_test", "T-test", "epps", "g_test", "g-test")


def drift_verdict(method, value, threshold):
    lowered = method.lower()
    is_p_value = any(lowered.startswith(m.lower()) for m in P_VALUE_METHODS) or "p_value" in lowered
    return bool(value < threshold) if is_p_value else bool(value >= threshold)


def run_evidently(preset, cur, ref, definition, repetitions):
    from evidently import Dataset, Report

    times = []
    snapshot = None
    for _ in range(repetitions):
        cur_ds = Dataset.from_pandas(cur, data_definition=definition)
        ref_ds = Dataset.from_pandas(ref, data_definition=definition)
        t0 = time.perf_counter_ns()
        snapshot = Report([preset]).run(cur_ds, ref_ds)
        times.append((time.perf_counter_ns() - t0) / 1e9)
    features = []
    for m in snapshot.dict()["metrics"]:
        cfg = m.get("config", {})
        if not cfg.get("type", "").endswith("ValueDrift"):
            continue
        value = float(m["value"])
        features.append(
            {
                "name": cfg["column"],
                "method": cfg["method"],
                "threshold": float(cfg["threshold"]),
                "statistic": value,
                "drifted": drift_verdict(cfg["method"], value, float(cfg["threshold"])),
            }
        )
    return {"seconds": times, "secondsMedian": sorted(times)[len(times) // 2], "features": features}


def cmd_drift(args):
    import numpy as np
    import pandas as pd
    import evidently
    from evidently import DataDefinition
    from evidently.presets import DataDriftPreset

    with open(args.meta) as f:
        meta = json.load(f)
    names = [c["name"] for c in meta["features"]]
    cols = len(names)
    ref = np.fromfile(os.path.join(args.dir, "drift-ref.f32"), dtype="<f4").reshape(-1, cols)
    cur = np.fromfile(os.path.join(args.dir, "drift-cur.f32"), dtype="<f4").reshape(-1, cols)
    ref_df = pd.DataFrame(ref.astype(np.float64), columns=names)
    cur_df = pd.DataFrame(cur.astype(np.float64), columns=names)
    numerical = [c["name"] for c in meta["features"] if c["type"] == "numeric"]
    categorical = [c["name"] for c in meta["features"] if c["type"] != "numeric"]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    default = run_evidently(DataDriftPreset(), cur_df, ref_df, definition, args.repetitions)
    matched = run_evidently(
        DataDriftPreset(num_method="psi", cat_method="jensenshannon", num_threshold=0.1, cat_threshold=0.1),
        cur_df,
        ref_df,
        definition,
        args.repetitions,
    )
    return {"evidently": evidently.__version__, "default": default, "methodMatched": matched}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("versions")
    s = sub.add_parser("score")
    s.add_argument("--model", required=True)
    s.add_argument("--rows", required=True)
    s.add_argument("--cols", type=int, required=True)
    s.add_argument("--calls", type=int, default=20000)
    s.add_argument("--batches", type=int, default=400)
    t = sub.add_parser("train")
    t.add_argument("--dir", required=True)
    t.add_argument("--cols", type=int, required=True)
    t.add_argument("--c", type=float, required=True)
    t.add_argument("--pos-weight", type=float, default=1.0)
    t.add_argument("--repetitions", type=int, default=3)
    d = sub.add_parser("drift")
    d.add_argument("--dir", required=True)
    d.add_argument("--meta", required=True)
    d.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    handler = {"versions": cmd_versions, "score": cmd_score, "train": cmd_train, "drift": cmd_drift}[args.command]
    json.dump(handler(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
