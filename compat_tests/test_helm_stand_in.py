"""The stand-in for `helm template` (helm_template.py) follows Go template semantics on the
constructs the chart uses and refuses the ones it does not know."""

import pytest

from .helm_template import TemplateError, _parse, _render

ROOT = {"Values": {"on": True, "off": False, "items": ["a", "b"], "empty": [],
                   "map": {"k": "v"}, "n": 0, "name": "x"}, "Release": {"Name": "r"}}


def render(text: str) -> str:
    return _render(_parse(text), ROOT, ROOT)


def test_trimming_markers_eat_whitespace_on_their_side_only():
    assert render("a  {{- .Values.name }}  b") == "ax  b"
    assert render("a  {{ .Values.name -}}\n  b") == "a  xb"


def test_blocks_follow_go_truthiness_and_scope():
    assert render("{{ if .Values.n }}yes{{ else }}no{{ end }}") == "no"
    assert render("{{ if .Values.on }}yes{{ end }}") == "yes"
    assert render("{{ range .Values.items }}[{{ . }}]{{ end }}") == "[a][b]"
    assert render("{{ range .Values.empty }}x{{ else }}none{{ end }}") == "none"
    assert render("{{ with .Values.map }}{{ .k }}{{ end }}") == "v"


def test_functions_and_pipelines():
    assert render('{{ .Values.missing | default "d" | quote }}') == '"d"'
    assert render('{{ printf "%s-predis" .Release.Name }}') == "r-predis"
    assert render("{{ if or .Values.off .Values.on }}y{{ end }}") == "y"
    assert render("{{ not .Values.on }}") == "false"
    assert render("{{- toYaml .Values.map | nindent 2 }}") == "\n  k: v"
    with pytest.raises(TemplateError, match="needed"):
        render('{{ required "needed" .Values.missing }}')


def test_what_it_does_not_know_fails_the_render():
    with pytest.raises(TemplateError, match="unknown function"):
        render("{{ .Values.name | upper }}")
    with pytest.raises(TemplateError, match="not supported"):
        render('{{ include "x" . }}')
    with pytest.raises(TemplateError, match="unclosed"):
        render("{{ if .Values.on }}x")
