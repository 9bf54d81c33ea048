"""Run with an interpreter that has only the SDK installed (no extras): imports every module of
``vaultline_sdk``, fails if that pulled in the server or its dependencies, and checks that
offline token verification, without the ``verify`` extra, says what to install."""

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
assert sdk.connections.credentials and vaultline_sdk.AsyncSDK(server_url="http://127.0.0.1:8000").connections

# PyJWT is the optional [verify] extra: absent here, verifying must fail clearly, before any request.
A_TOKEN = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsifQ.eyJzdWIiOiJjIn0.c2ln"
for verify in (
    lambda: vaultline_sdk.verify_session_token(A_TOKEN, {"keys": []}, issuer="http://127.0.0.1:8000"),
    lambda: sdk.sessions.verify_token(A_TOKEN),
):
    try:
        verify()
    except vaultline_sdk.ConfigurationError as error:
        if "pip install 'vaultline-sdk[verify]'" not in str(error):
            sys.exit(f"the missing-extra error does not say what to install: {error}")
    else:
        sys.exit("verifying a token without PyJWT installed did not raise ConfigurationError")
sys.stdout.write(
    f"vaultline-sdk {vaultline_sdk.__version__} imports alone, without the server or its dependencies, "
    "and asks for the [verify] extra to verify tokens\n"
)
