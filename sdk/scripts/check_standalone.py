"""Run with an interpreter that has only the SDK installed: imports every module of
``vaultline_sdk`` and fails if that pulled in the server or its dependencies."""

import importlib
import importlib.util
import pkgutil
import sys

import vaultline_sdk

SERVER_ONLY = ("vaultline", "fastapi", "starlette", "sqlalchemy", "uvicorn", "jwt", "cryptography", "orjson")

for module in pkgutil.walk_packages(vaultline_sdk.__path__, prefix="vaultline_sdk."):
    importlib.import_module(module.name)

installed = [name for name in SERVER_ONLY if importlib.util.find_spec(name) is not None]
loaded = [name for name in SERVER_ONLY if name in sys.modules]
if installed or loaded:
    sys.exit(f"vaultline-sdk must stand alone, but found installed={installed} loaded={loaded}")

sdk = vaultline_sdk.SDK(server_url="http://127.0.0.1:8000")
assert sdk.sessions.sessions_create and vaultline_sdk.AsyncSDK(server_url="http://127.0.0.1:8000").sessions
sys.stdout.write(f"vaultline-sdk {vaultline_sdk.__version__} imports alone, without the server or its dependencies\n")
