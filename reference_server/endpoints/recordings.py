"""``GET /_recordings`` (token-protected): what clients sent this server, newest last."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from reference_server.endpoints.common import INT_MAX, ScimResponse, int_param
from reference_server.errors import NotFound


async def list_recordings(request: Request) -> Response:
    st = request.app.state
    if st.recorder is not None:
        st.recorder.flush()
    after = int_param("after", request.query_params.get("after"))
    limit = int_param("limit", request.query_params.get("limit"))
    after, limit = after or 0, min(max(100 if limit is None else limit, 1), 1000)
    items = st.store.recordings(after=after, limit=limit)
    return ScimResponse({"totalResults": len(items), "Resources": items})


async def get_recording(request: Request) -> Response:
    st = request.app.state
    if st.recorder is not None:
        st.recorder.flush()
    rec_id = request.path_params["rec_id"]
    rec = st.store.recording(rec_id) if rec_id <= INT_MAX else None  # past the bound no id exists
    if rec is None:
        raise NotFound(f"no recording {request.path_params['rec_id']}")
    return ScimResponse(rec)
