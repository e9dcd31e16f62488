"""Nothing that `ftqa train` prints or records carries a credential, and nothing a provider
returns can change what a printed command does.

`mask_credentials` replaces the API keys ftqa knows of (the providers' environment variables
and any key a client was given), the `user:password@` part of URLs, and any credential the
secrets checker recognises. Provider-supplied values (job ids, URLs) that go into a command a
user may copy are quoted where the command is built: `shlex.quote` for a shell word, `repr`
for a Python string.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

MASK = "[secret]"
# Environment variables that hold provider credentials.
CREDENTIAL_VARIABLES = (
    "OPENAI_API_KEY",
    "TOGETHER_API_KEY",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#]+@")
MIN_KNOWN_LENGTH = 6  # shorter values would mask ordinary words


def mask_credentials(text: str, known: Iterable[str | None] = ()) -> str:
    """`text` with credentials masked: the values of `known` and of the credential variables,
    URL user information (`https://user:pw@host` becomes `https://[secret]@host`), and
    whatever the outbound layer masks (secrets and personal data)."""
    values = {value for value in known if value}
    values.update(os.environ.get(name) or "" for name in CREDENTIAL_VARIABLES)
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= MIN_KNOWN_LENGTH:
            text = text.replace(value, MASK)
    text = _URL_USERINFO.sub(lambda match: f"{match.group('scheme')}{MASK}@", text)
    from ftqa.outbound import outbound  # not at import: `import ftqa` stays light

    return outbound(text)
