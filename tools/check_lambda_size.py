"""Check that every function with its layers stays under Lambda's 250 MB unzipped limit.

Which layers a function uses comes from terraform/workers.json, the table Terraform deploys from, and
terraform/validator_layers.json (what every worker gets: the toolchains of custom validators).
Zips not built yet are reported and skipped (--require makes them an error).

    python tools/check_lambda_size.py [--build-dir build] [--require]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detzip import unzipped_size

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 262_144_000  # bytes: function code plus all its layers, unzipped (Lambda quota)


def deployments() -> dict[str, tuple[str, list[str]]]:
    """Deployed function → (its zip name, its layer names)."""
    workers = json.loads((ROOT / "terraform" / "workers.json").read_text())
    validator_layers = json.loads((ROOT / "terraform" / "validator_layers.json").read_text())
    table: dict[str, tuple[str, list[str]]] = {
        "dispatcher": ("dispatcher", []),
        "outbox_relay": ("outbox_relay", []),
        "sweeper": ("sweeper", []),
        # The backend on Lambda (terraform/backend_functions.tf): no layers.
        "api": ("backend_api", []),
        "consumer": ("backend_consumer", []),
    }
    for key, worker in workers.items():
        table[f"worker_{key}"] = ("worker", validator_layers)  # as terraform/main.tf
        table[f"sandbox_{key}"] = ("sandbox", worker["layers"])
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--require", action="store_true", help="fail when a zip is missing")
    args = parser.parse_args(argv)

    failed = False
    for function, (zip_name, layers) in deployments().items():
        parts = [args.build_dir / "functions" / f"{zip_name}.zip"] + [
            args.build_dir / "layers" / f"{layer}.zip" for layer in layers
        ]
        missing = [p for p in parts if not p.is_file()]
        if missing:
            print(f"{function:16} not built: {', '.join(str(p) for p in missing)}")
            failed |= args.require
            continue
        total = sum(unzipped_size(p) for p in parts)
        verdict = "ok" if total <= LIMIT else "OVER THE LIMIT"
        failed |= total > LIMIT
        detail = " + ".join(f"{p.stem} {unzipped_size(p) / 1e6:.1f}" for p in parts)
        print(f"{function:16} {total / 1e6:7.1f} MB of {LIMIT / 1e6:.1f}  ({detail})  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
