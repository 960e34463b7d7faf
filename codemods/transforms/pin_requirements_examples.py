"""Before/after examples of ``pin-requirements``: its tests and its documentation."""

from __future__ import annotations

from codemods.base import Example, Unchanged

REQ = "requirements.txt"
PINS = {
    "pins": {
        "websockets": "14.1",
        "uvicorn": "0.30.1",
        "tomli": "2.0.1",
        "flask-cors": "4.0.1",
        "pandas": "2.2.2",
        "requests": "2.31.0",
        "y": "1.0",
        "mypkg": "1.0",
    }
}
RANGES = {**PINS, "mode": "ranges"}

EXAMPLES = [
    Example(  # the report's finding: a bare name, its comment kept with its spacing
        "aiohttp==3.9.5\nwebsockets    # realtime feed\nyarl==1.9.4\n",
        "aiohttp==3.9.5\nwebsockets==14.1    # realtime feed\nyarl==1.9.4\n",
        REQ,
        PINS,
    ),
    Example("uvicorn[standard]\n", "uvicorn[standard]==0.30.1\n", REQ, PINS),
    Example('tomli; python_version < "3.11"\n', 'tomli==2.0.1; python_version < "3.11"\n', REQ, PINS),
    Example("Flask_CORS\n", "Flask_CORS==4.0.1\n", REQ, PINS),  # matched by the normalised name, written as written
    Example(
        'pandas \\\n    ; python_version >= "3.9"\n',
        'pandas==2.2.2 \\\n    ; python_version >= "3.9"\n',
        REQ,
        PINS,
    ),
    Example("aiohttp==3.9.5\r\nwebsockets", "aiohttp==3.9.5\r\nwebsockets==14.1", REQ, PINS),
    Example(
        "--index-url https://pypi.org/simple\n\n# runtime\nwebsockets\n",
        "--index-url https://pypi.org/simple\n\n# runtime\nwebsockets==14.1\n",
        "requirements/prod.txt",
        PINS,
    ),
    Example("requests >= 2.28  # http\n", "requests ==2.31.0  # http\n", REQ, RANGES),
    Unchanged("websockets==14.1\nrequests===2.31.0\nuvicorn==0.30.*\n", REQ, PINS),
    Unchanged(
        "git+https://github.com/x/y.git#egg=y\n-e .\n./local/pkg\nmypkg @ https://example.com/mypkg-1.0.whl\n",
        REQ,
        PINS,
    ),
    Unchanged("requests==2.31.0 --hash=sha256:aa\nwebsockets\n", REQ, PINS),  # hash-checking mode
    Unchanged("websockets\n", REQ),  # no version source: reported
    Unchanged("requests>=2.28\n", REQ, PINS),  # a range is kept unless mode = "ranges"
    Unchanged("requests>=3\n", REQ, RANGES),  # the pin does not satisfy the line's own range
    Unchanged("websockets\n", "docs/notes.txt", PINS),  # not a requirements file
]
