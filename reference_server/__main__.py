"""``python -m reference_server ...``: the same as ``scim-harness serve ...``."""

from reference_server.commands import serve

if __name__ == "__main__":
    serve(prog_name="python -m reference_server")
