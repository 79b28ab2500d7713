"""``GET /_recordings`` (token-protected): what clients sent this server, newest last."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from reference_server.endpoints.common import ScimResponse
from reference_server.errors import BadRequest, NotFound


async def list_recordings(request: Request) -> Response:
    st = request.app.state
    if st.recorder is not None:
        st.recorder.flush()
    try:
        after = int(request.query_params.get("after", "0"))
        limit = min(max(int(request.query_params.get("limit", "100")), 1), 1000)
    except ValueError:
        raise BadRequest("after and limit must be integers") from None
    items = st.store.recordings(after=after, limit=limit)
    return ScimResponse({"totalResults": len(items), "Resources": items})


async def get_recording(request: Request) -> Response:
    st = request.app.state
    if st.recorder is not None:
        st.recorder.flush()
    rec = st.store.recording(request.path_params["rec_id"])
    if rec is None:
        raise NotFound(f"no recording {request.path_params['rec_id']}")
    return ScimResponse(rec)
