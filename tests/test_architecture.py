"""Layering rules from DESIGN.md, checked on the source."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def imported_modules(path: pathlib.Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_protocol_layer_imports_nothing_from_gpu_ml_ops():
    for path in (ROOT / "server" / "protocol").glob("*.py"):
        for module in imported_modules(path):
            assert module.split(".")[0] not in ("gpu", "ml", "ops"), (path.name, module)


def test_handlers_never_write_wire_bytes():
    for path in (ROOT / "server" / "commands").glob("*.py"):
        text = path.read_text()
        assert "\\r\\n" not in text, path.name
        assert "encode_into" not in text, path.name


def test_no_torch_on_the_request_path():
    for path in (ROOT / "server").rglob("*.py"):
        assert "torch" not in set(m.split(".")[0] for m in imported_modules(path)), path


def test_modules_stay_small():
    for path in list((ROOT / "server").rglob("*.py")) + list((ROOT / "ops").rglob("*.py")):
        assert len(path.read_text().splitlines()) < 900, path
