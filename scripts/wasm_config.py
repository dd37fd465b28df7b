#!/usr/bin/env python3
"""Prints one setting of wasm-pack.toml: `wasm_config.py build.target`. Lists print one item per
line, tables `key=value` per line, booleans print true/false. Unknown keys are an error, so a typo cannot silently fall back."""
import pathlib
import sys
import tomllib

path = pathlib.Path(__file__).resolve().parent.parent / "wasm-pack.toml"
value = tomllib.loads(path.read_text())
for part in sys.argv[1].split("."):
    if not isinstance(value, dict) or part not in value:
        sys.exit(f"wasm-pack.toml: no setting {sys.argv[1]}")
    value = value[part]
if isinstance(value, bool):
    print("true" if value else "false")
elif isinstance(value, dict):
    print("\n".join(f"{k}={v}" for k, v in value.items()))
elif isinstance(value, list):
    print("\n".join(str(v) for v in value))
else:
    print(value)
