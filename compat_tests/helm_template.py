"""`helm template` for the chart's tests: the real helm when it is on the PATH, otherwise this
interpreter of the part of Helm's template language the chart uses (Go template actions with
`{{-`/`-}}` trimming; if/else/with/range/end; pipelines; the functions quote, default,
required, printf, not, and, or, toYaml, indent, nindent). Helm cannot be installed on the
machines that run CI (it is in neither Debian's archive nor PyPI), hence the stand-in; an
action it does not know fails the render rather than passing through.
"""

import json
import pathlib
import re
import shutil
import subprocess

import yaml

ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\(|\)|\||-?\d+|\.[\w.]*|[A-Za-z_]\w*)')


class TemplateError(ValueError):
    pass


def _go_str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _truthy(value) -> bool:
    return bool(value) and value != 0


def _to_yaml(value) -> str:
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).rstrip("\n")


def _indent(width, text) -> str:
    return "\n".join(" " * width + line for line in _go_str(text).split("\n"))


def _required(message, value):
    if not _truthy(value):
        raise TemplateError(message)
    return value


FUNCTIONS = {
    "quote": lambda value: '"' + _go_str(value).replace("\\", "\\\\").replace('"', '\\"') + '"',
    "default": lambda fallback, value=None: value if _truthy(value) else fallback,
    "required": _required,
    "printf": lambda fmt, *args: re.sub(r"%[sdv]", "{}", fmt).format(*map(_go_str, args)),
    "not": lambda value: not _truthy(value),
    "and": lambda *values: next((v for v in values if not _truthy(v)), values[-1]),
    "or": lambda *values: next((v for v in values if _truthy(v)), values[-1]),
    "toYaml": _to_yaml,
    "indent": _indent,
    "nindent": lambda width, text: "\n" + _indent(width, text),
}


class Expression:
    """A pipeline: `term args... | function args... | ...`, evaluated against a scope."""

    def __init__(self, text: str):
        self.tokens = [t for t in TOKEN.findall(text)]
        if "".join(self.tokens).replace(" ", "") != text.replace(" ", "").replace("\n", ""):
            raise TemplateError(f"cannot parse {text!r}")
        self.pos = 0

    def evaluate(self, root: dict, dot):
        value = self._pipeline(root, dot)
        if self.pos != len(self.tokens):
            raise TemplateError(f"unexpected {self.tokens[self.pos]!r}")
        return value

    def _pipeline(self, root, dot):
        value = self._command(root, dot, None, piped=False)
        while self.pos < len(self.tokens) and self.tokens[self.pos] == "|":
            self.pos += 1
            value = self._command(root, dot, value, piped=True)
        return value

    def _command(self, root, dot, piped_value, piped: bool):
        token = self.tokens[self.pos]
        if re.fullmatch(r"[A-Za-z_]\w*", token) and token not in ("true", "false"):
            if token not in FUNCTIONS:
                raise TemplateError(f"unknown function {token!r}")
            self.pos += 1
            args = []
            while self.pos < len(self.tokens) and self.tokens[self.pos] not in ("|", ")"):
                args.append(self._term(root, dot))
            return FUNCTIONS[token](*args, *([piped_value] if piped else []))
        if piped:
            raise TemplateError(f"{token!r} cannot take a piped value")
        return self._term(root, dot)

    def _term(self, root, dot):
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            value = self._pipeline(root, dot)
            if self.tokens[self.pos] != ")":
                raise TemplateError("unbalanced parentheses")
            self.pos += 1
            return value
        if token.startswith('"'):
            return yaml.safe_load(token)  # a double-quoted YAML scalar reads Go's escapes
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        if token in ("true", "false"):
            return token == "true"
        if token == ".":
            return dot
        if token.startswith("."):  # relative to dot, as in Go (`with` and `range` move it)
            value = dot
            for part in token[1:].split("."):
                value = value.get(part) if isinstance(value, dict) else None
            return value
        raise TemplateError(f"unexpected {token!r}")


def _parse(text: str) -> list:
    """Text and actions, trimming whitespace where an action asks, nested into blocks:
    ("text", s) | ("expr", e) | ("if"/"with"/"range", e, body, else_body)."""
    pieces, pos = [], 0
    for match in ACTION.finditer(text):
        chunk = text[pos:match.start()]
        if match.group(1):
            chunk = chunk.rstrip()
        if pieces and pieces[-1][0] == "trim-next":
            pieces.pop()
            chunk = chunk.lstrip()
        pieces.append(("text", chunk))
        pieces.append(("action", match.group(2)))
        if match.group(3):
            pieces.append(("trim-next",))
        pos = match.end()
    tail = text[pos:]
    if pieces and pieces[-1][0] == "trim-next":
        pieces.pop()
        tail = tail.lstrip()
    pieces.append(("text", tail))
    nodes, stack = [], []
    current = nodes
    for piece in pieces:
        if piece[0] == "text":
            current.append(piece)
            continue
        action = piece[1]
        if action.startswith("/*"):
            continue
        word = action.split()[0]
        if word in ("if", "with", "range"):
            block = [word, action[len(word):].strip(), [], []]
            current.append(block)
            stack.append((block, current))
            current = block[2]
        elif word == "else":
            if not stack:
                raise TemplateError("else outside a block")
            current = stack[-1][0][3]
        elif word == "end":
            if not stack:
                raise TemplateError("end outside a block")
            _, current = stack.pop()
        elif word in ("define", "template", "include", "block"):
            raise TemplateError(f"{word} is not supported by this stand-in for helm")
        else:
            current.append(("expr", action))
    if stack:
        raise TemplateError("unclosed block")
    return nodes


def _render(nodes, root, dot) -> str:
    out = []
    for node in nodes:
        if node[0] == "text":
            out.append(node[1])
        elif node[0] == "expr":
            out.append(_go_str(Expression(node[1]).evaluate(root, dot)))
        else:
            kind, expression, body, otherwise = node
            value = Expression(expression).evaluate(root, dot)
            if kind == "range":
                items = value.values() if isinstance(value, dict) else (value or [])
                rendered = [_render(body, root, item) for item in items]
                out.append("".join(rendered) if rendered else _render(otherwise, root, dot))
            elif _truthy(value):
                out.append(_render(body, root, value if kind == "with" else dot))
            else:
                out.append(_render(otherwise, root, dot))
    return "".join(out)


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _set_values(values: dict, assignments: dict) -> dict:
    """helm's --set a.b=c (values given as Python objects)."""
    override = {}
    for path, value in assignments.items():
        node = override
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return _merge(values, override)


def render_with_stand_in(chart: pathlib.Path, release: str, assignments: dict) -> list:
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    values = _set_values(yaml.safe_load((chart / "values.yaml").read_text()), assignments)
    root = {"Values": values, "Release": {"Name": release, "Namespace": "default"},
            "Chart": {"Name": meta["name"], "Version": meta["version"],
                      "AppVersion": meta["appVersion"]}}
    documents = []
    for template in sorted((chart / "templates").glob("*.yaml")):
        text = _render(_parse(template.read_text()), root, root)
        documents += [doc for doc in yaml.safe_load_all(text) if doc]
    return documents


def helm_template(chart: pathlib.Path, release: str, assignments: dict) -> list:
    """The chart's manifests with these --set values, as parsed YAML documents."""
    helm = shutil.which("helm")
    if helm is None:
        return render_with_stand_in(chart, release, assignments)
    args = [helm, "template", release, str(chart)]
    for path, value in assignments.items():
        args += ["--set-json", f"{path}={json.dumps(value)}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise TemplateError(done.stderr)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]
