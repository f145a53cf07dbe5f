"""Lua scripting (EVAL, FUNCTION): a sandboxed Lua 5.1 interpreter (lupa) with Redis's API."""
