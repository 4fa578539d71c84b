"""Find AWS's own error message inside text as analysts paste it.

An analyst pastes what their tool printed: the AWS CLI or boto3 (``An error
occurred (AccessDenied) when calling the GetObject operation: ...``), another
SDK's exception (Java, Go, .NET, JavaScript, PHP), Terraform or CloudFormation
output, a JSON error body or a CloudTrail record fragment, often wrapped by a
terminal. ``unwrap`` peels that off and returns the message AWS wrote (spaces
normalised), the error code, and the API operation and service the wrapper
names, so ``parse`` can read the message with the grammar it uses for
CloudTrail's ``errorMessage``.

Forms (real threads named in tests/data/pasted_messages.json):

* JSON (a whole body, a CloudTrail record, a Lambda/Step Functions error, a
  JSON log line): ``errorMessage``/``message``/``Message``/``msg`` and
  ``errorCode``/``code``/``Code``/``__type``; ``eventSource``/``eventName``
  name the call. A fragment that is not valid JSON is read key by key.
* XML error bodies: ``<Code>`` and ``<Message>``.
* ``\\"`` (JSON-escaped quotes) and literal ``\\n``/``\\t`` outside JSON.
* boto3/CLI: ``An error occurred (CODE) when calling the OP operation: MSG``.
* Go v2 and Terraform >= AWS provider 4: ``operation error SVC: OP, https
  response error StatusCode: 403, RequestID: ..., api error CODE: MSG``.
* Go v1, older Terraform, JavaScript, .NET: ``CODE: MSG`` followed by
  ``status code: 403, request id: ...``, a stack trace or nothing.
* Java v1 ``MSG (Service: Amazon S3; Status Code: 403; Error Code: CODE;
  Request ID: ...)``, Java v2 ``MSG (Service: S3, Status Code: 403, Request
  ID: ...)``, the older ``AWS Error Code: CODE, AWS Error Message: MSG``.
* CloudFormation: ``Resource handler returned message: "MSG (Service: ...)"
  (RequestToken: ..., HandlerErrorCode: CODE)``, and the older ``API:
  s3:CreateBucket Access Denied``.
* PHP: ``Error executing "OP" on "URL"; AWS HTTP error: ... CODE (client): MSG - ...``.
* Terraform's ``│`` line frames, Markdown quotes (``> ``) and code fences,
  and backticks around the paste are removed before anything else.

Limits: wrapping becomes one space; a terminal that cut lines at a fixed
column inside a word (``Erro\\nr Code``) is mended only as a fallback reading
(``join_hard_wrapped``), when lines of the longest length repeat.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from iamlab.denials import grammar as g
from iamlab.denials.actions import service_prefix

_C = re.compile
_S = re.DOTALL

_FRAME = _C(r"(?m)^[ \t]*(?:[│╷╵]|>(?![>=]))[ \t]?")  # Terraform's frame, Markdown quotes
_PLAIN_PREFIX = _C(r"[A-Za-z0-9 ._-]*")
_NOT_PLAIN = _C(r"[\n\r\t\f\v\\`]|  ")
_FENCE = _C(r"(?m)^[ \t]*```[^\n]*$")  # Markdown code fences from an issue or chat
_WHITESPACE = _C(r"[\t\n\r\f\v ]+")
_JSON_ESCAPES = _C(r'\\(["\\/nrt])')
_ESCAPE_MEANING = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "r": "\r", "t": "\t"}

# JSON keys, in order of preference.
_MESSAGE_KEYS = ("errorMessage", "ErrorMessage", "Message", "message", "Message_", "msg")
_CODE_KEYS = ("errorCode", "ErrorCode", "Code", "code", "__type")
# keys that hold a code only sometimes (JavaScript v3's error name, Lambda's errorType)
_MAYBE_CODE_KEYS = ("name", "errorType")
_FRAGMENT_KEYS = "|".join((*_MESSAGE_KEYS, *_CODE_KEYS, "eventSource", "eventName"))
_FRAGMENT = _C(r'"(' + _FRAGMENT_KEYS + r')"[ \t]*:[ \t]*"((?:[^"\\\n]|\\.){0,65536})"')
_XML = {
    "code": _C(r"<Code>([^<]{1,128})</Code>"),
    "message": _C(r"<Message>([^<]{0,8192})</Message>"),
}

_BOTO = _C(
    r"An error occurred \(([^()]{1,128})\) when calling the ([A-Za-z0-9_]{1,128}) operation"
    r"(?: \(reached max retries: \d{1,4}\))?:[ \t]?"
)
_GO2 = _C(r"operation error ([A-Za-z0-9 ._-]{1,64}?): ([A-Za-z0-9_]{1,128}),")
_GO2_CODES = (
    _C(r"api error ([A-Za-z][A-Za-z0-9._]{0,127}):[ \t]?"),
    _C(
        r"StatusCode: \d{3}, RequestID: [^,\n]{0,128}, (?:HostID: [^,\n]{0,256}, )?"
        r"(?!HostID: )([A-Za-z][A-Za-z0-9._]{0,127}):[ \t]?"
    ),
)
_JAVA = _C(
    r"[ \t]*\((?:Service: ([^;,()]{1,64})[;,] )?Status Code:\s{0,8}(\d{3})[;,] "
    r"(?:Error Code: ([^;,()]{1,128})[;,] )?"
)
_JAVA_OLD = _C(
    r"Status Code: (\d{3}), AWS Service: ([^,]{1,64}), AWS Request ID: [^,]{0,128}, "
    r"AWS Error Code: ([^,\s]{1,128}), AWS Error Message: "
)
_CFN = _C(
    r'Resource\s{1,8}handler\s{1,8}returned\s{1,8}message:\s{0,8}"(.*?)"\s{0,8}'
    r"\(RequestToken:\s{0,8}[^,]{0,128},\s{1,8}HandlerErrorCode:\s{0,8}([A-Za-z]{1,64})\)",
    _S,
)
_CFN_API = _C(r"\bAPI:\s{1,8}([a-z0-9-]{1,64}):([A-Za-z0-9]{1,128})\s{1,8}")
_PHP_CALL = _C(r'Error executing "([A-Za-z0-9_]{1,128})" on "([^"]{1,2048})"')
_PHP_ERROR = _C(
    r"(?:^|\s)([A-Za-z][A-Za-z0-9.]{0,127}) \((?:client|server)\): (.*?)"
    r"(?: - (?=<\?xml|\{|Sender |Receiver )| - *$|$)",
    _S,
)
_CLASS_PREFIX = _C(r"(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error):[ \t]*")
_STATUS_WORD = _C(r"^\d{3} (?=[A-Za-z])")
_DOTNET_CODE = _C(r"Error making request with Error Code ([A-Za-z0-9]{1,64}) and Http Status Code")
_PAREN_CODE = _C(r"\(([A-Z][A-Za-z0-9.]{1,127})\): ")
_CODE_PREFIX = _C(r"(?<![\w.$/\\-])([A-Z][A-Za-z0-9]{1,127}(?:\.[A-Z][A-Za-z0-9]{1,127})?): ")
_CODE_ENDINGS = (
    "Exception", "Error", "Denied", "Fault", "Failure", "Operation", "Forbidden",
    "Unauthorized", "NotFound",
)  # fmt: skip
# Names that end like a code but are the SDK's or the language's own classes.
_NOT_CODES = frozenset(
    {
        "Error", "Exception", "ClientError", "ServiceError", "RuntimeError", "ValueError",
        "TypeError", "BotoCoreError", "SdkClientException", "SdkException",
        "AmazonServiceException", "AmazonClientException", "AwsServiceException",
        "HttpErrorResponseException", "UnhandledException", "CredentialsProviderError",
    }
)  # fmt: skip

# Where the SDK's trailer starts after the message.
_TRAILERS = _C(
    r"[ \t\r\n]+status code: \d{3}, request id:"  # Go v1 / older Terraform
    r"|[ \t]*\((?:Service: [^;,()]{1,64}[;,] )?Status Code:\s{0,8}\d{3}[;,]"  # Java, CFN
    r"|[ \t]*\(RequestToken: "  # CloudFormation
    r"|[ \t]*\r?\n[ \t]*at [\w$<.]"  # Java/.NET/JavaScript stack frames
    r"|[ \t]*\r?\n[ \t]*Traceback "  # Python
    r"|[ \t]*--->"  # .NET inner exception
    r"|[ \t]*\r?\n[ \t]*with [\w.\[\]\"-]+,[ \t]*\r?\n"  # Terraform: "with aws_x.y,"
    r"|[ \t]*\r?\n[ \t]*on \S+ line \d+"  # Terraform: "on main.tf line 3"
    r"|[ \t]*\r?\n[ \t]*\{[ \t]*\r?\n"  # JavaScript: the error object printed after it
    r"|[ \t]*\r?\n[ \t]*\r?\n"  # a blank line ends the message
)
# Where AWS's message text starts, for the "CODE: MSG" search (before it only).
_MESSAGE_STARTS = (
    g.USER_MARK, g.MARK.strip(), g.OLD_MARK, "You are not authorized", "Access Denied",
    g.VPCE_SENTENCE, g.ROLE_ARN_MARK, *(phrase for phrase, _ in g.TRUST_PHRASES),
)  # fmt: skip
# JSON-escaped S3 resource quotes: AWS writes 'on resource: "arn...', never a backslash.
_ESCAPED_QUOTE = g.ON_RESOURCE + '\\"'


# Service and operation named by stack traces and class names.
_SERVICE_HINTS = (
    _C(r"\bAmazon\.([A-Za-z0-9]{1,64})\.(?:Model\.)?Amazon[A-Za-z0-9]{0,64}Exception"),  # .NET
    _C(r"\bcom\.amazonaws\.services\.([a-z0-9]{1,64})\."),  # Java v1
    _C(r"\bawssdk\.services\.([a-z0-9]{1,64})\."),  # Java v2
    _C(r"@aws-sdk/client-([a-z0-9-]{1,64})"),  # JavaScript v3
    _C(r"aws-sdk/(?:lib/|clients/)(?:services/)?([a-z0-9]{1,64})\.js"),  # JavaScript v2
    _C(r"\bAws::([A-Za-z0-9]{1,64})::Errors::"),  # Ruby
)
_CLIENT_CALL = _C(
    r"\b(?:Default|Amazon|AWS)?([A-Z][A-Za-z0-9]{0,63})Client\.(?:execute)?([A-Za-z][A-Za-z0-9]{1,127}?)"
    r"(?:Async)?\("
)
_JS_COMMAND = _C(
    r"(?<![A-Za-z0-9])(?:de_|se_|deserializeAws_[A-Za-z0-9_]{1,20}?)?"
    r"([A-Z][A-Za-z0-9]{1,127}?)Command(?:Error)?\b"
)
_INTERNAL_CALLS = frozenset({"invoke", "doInvoke", "execute", "beforeClientExecution", "Invoke"})
_REGION_LABEL = _C(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")


@dataclass(frozen=True)
class Pasted:
    """What ``unwrap`` found: AWS's message and what the wrapper says about the call."""

    message: str
    code: str | None = None
    operation: str | None = None
    service: str | None = None
    framed: bool = False


def unwrap(text: str) -> Pasted:
    """Return AWS's message inside pasted ``text`` and the code, operation and service around it.

    Never raises for a string. ``service`` is whatever the wrapper calls the
    service (``S3``, ``Amazon S3``, ``s3.amazonaws.com``); map it with
    ``actions.iam_action``.

    >>> unwrap("An error occurred (AccessDenied) when calling the ListBuckets "
    ...        "operation: Access Denied").operation
    'ListBuckets'
    """
    found: dict[str, str] = {}
    text = raw = _FENCE.sub("", _FRAME.sub("", text[: g.MAX_MESSAGE])).strip(g.WS_CHARS + "`")
    php = _PHP_CALL.search(text, 0, _first(text))
    if php is not None:  # before the XML body it may quote replaces the text
        _set(found, "operation", php.group(1))
        _set(found, "service", _host_service(php.group(2)))
        found["framed"] = "php"
    text = _from_json(text, found)
    text = _from_xml(text, found)
    if _ESCAPED_QUOTE in text:
        found["framed"] = "escapes"
    if "framed" in found:
        text = _unescape(text)
    text = _from_wrappers(text, found)
    if "framed" in found:  # a wrapper printed with its escapes (b'...\n...', a log line)
        text = _unescape(text)
    if "framed" in found:  # trailers follow the wrappers that frame a message
        text = _first_message(_cut_trailer(text))
    message = _WHITESPACE.sub(" ", text).strip(g.WS_CHARS)
    _service_from_stack(raw, found)
    code = found.get("code")
    if code is None and found.get("status") == "403" and message in ("", "Forbidden"):
        code = "403"  # a 403 with no body (S3 HEAD), aws-facts 1.4
    return Pasted(message, code, found.get("operation"), found.get("service"), "framed" in found)


def _unescape(text: str) -> str:
    """Undo JSON/Python string escapes (\\" \\n \\t) left in pasted text."""
    if "\\" not in text:
        return text
    return _JSON_ESCAPES.sub(lambda m: _ESCAPE_MEANING[m.group(1)], text)


def _set(found: dict[str, str], key: str, value: Any) -> None:
    if isinstance(value, str) and value.strip() and key not in found:
        found[key] = value.strip()


def _json_code(value: str) -> str:
    """'com.amazonaws.dynamodb.v20120810#AccessDeniedException' -> 'AccessDeniedException'."""
    return value.rsplit("#", 1)[-1].split(":", 1)[0]


def _walk(doc: Any, found: dict[str, str], depth: int = 0) -> str | None:
    """Return the first error message in a decoded JSON document, noting its code."""
    if depth > 8:
        return None
    if isinstance(doc, list):
        for item in doc[:64]:
            message = _walk(item, found, depth + 1)
            if message is not None:
                return message
        return None
    if not isinstance(doc, dict):
        return None
    _set(found, "service", doc.get("eventSource"))
    _set(found, "operation", doc.get("eventName"))
    for key in _MESSAGE_KEYS:
        value = doc.get(key)
        if isinstance(value, str):
            codes = [_json_code(doc[k]) for k in _CODE_KEYS if isinstance(doc.get(k), str)]
            codes += [
                doc[k] for k in _MAYBE_CODE_KEYS
                if isinstance(doc.get(k), str) and _looks_like_code(doc[k])
            ]  # fmt: skip
            _set(found, "code", codes[0] if codes else None)
            return value
    for value in list(doc.values())[:256]:
        if isinstance(value, str) and value[:1] in "{[" and len(value) < g.MAX_MESSAGE:
            try:  # a record inside a string: lookup-events' CloudTrailEvent, Step Functions' cause
                value = json.loads(value)
            except ValueError:
                continue
        message = _walk(value, found, depth + 1)
        if message is not None:
            return message
    return None


def join_hard_wrapped(text: str) -> str | None:
    """Undo a terminal's fixed-width wrap (lines cut at one column, mid-word); None if none.

    Lines as long as the longest line, when two or more are, were cut there:
    each is joined to the next without a space. Only a fallback reading
    (``parse`` keeps it only when it explains more), since word-wrapped text
    can have two lines of equal length by chance.
    """
    lines = text.split("\n")
    lengths = [len(line.rstrip("\r")) for line in lines[:-1]]
    if not lengths:
        return None
    width = max(lengths)
    if width < 40 or lengths.count(width) < 2:
        return None
    out = []
    for line, length in zip(lines, [*lengths, -1], strict=True):
        out.append(line.rstrip("\r") + ("" if length == width else "\n"))
    return "".join(out).rstrip("\n")


def is_plain(text: str) -> bool:
    """Whether ``text`` starts with AWS's own message and holds nothing a paste adds.

    No line breaks, tabs, runs of spaces, backslashes or backticks, and nothing
    but words before the message: CloudTrail's ``errorMessage`` as AWS writes it
    (``User is not authorized ...`` too). Such text
    needs no unwrapping (``parse`` reads it directly, as fast as the view does).
    """
    if _NOT_PLAIN.search(text):
        return False
    before = text[: _first(text)]  # every wrapper puts ':', '(', '"', '{' or '<' there
    return _PLAIN_PREFIX.fullmatch(before) is not None and "Code" not in before


def _first(text: str) -> int:
    """Where AWS's own message starts in ``text`` (its length when no known start is found).

    Wrappers are looked for only before it: text after it may be a field that
    whoever named a resource wrote (an S3 key can imitate any wrapper).
    """
    starts = [at for at in (text.find(s) for s in _MESSAGE_STARTS) if at >= 0]
    return min(starts) if starts else len(text)


def _from_json(text: str, found: dict[str, str]) -> str:
    body = text.strip(g.WS_CHARS)
    if body[:1] in "{[":
        try:
            message = _walk(json.loads(body), found)
        except (ValueError, RecursionError):
            message = None
        if message is not None:
            found["framed"] = "json"
            return message
    pairs: dict[str, str] = {}
    first = _first(text)
    for m in _FRAGMENT.finditer(text):
        if m.start() >= first:
            break
        try:
            pairs.setdefault(m.group(1), json.loads('"' + m.group(2) + '"'))
        except ValueError:
            continue
    message = next((pairs[k] for k in _MESSAGE_KEYS if k in pairs), None)
    if message is None:
        return text
    found["framed"] = "json"
    _set(found, "code", next((_json_code(pairs[k]) for k in _CODE_KEYS if k in pairs), None))
    _set(found, "service", pairs.get("eventSource"))
    _set(found, "operation", pairs.get("eventName"))
    return message


def _from_xml(text: str, found: dict[str, str]) -> str:
    message = _XML["message"].search(text)
    if message is None or message.start() >= _first(text):
        return text
    found["framed"] = "xml"
    code = _XML["code"].search(text)
    if code:
        _set(found, "code", html.unescape(code.group(1)))
    return html.unescape(message.group(1))


def _after(text: str, match: re.Match) -> str:
    return text[match.end() :]


def _from_wrappers(text: str, found: dict[str, str]) -> str:
    """Note the code, operation and service the wrapper names; return the text from the message."""
    boto = _BOTO.search(text, 0, _first(text))
    if boto is not None:
        found["framed"] = "boto"
        _set(found, "code", boto.group(1))
        _set(found, "operation", boto.group(2))
        text = _after(text, boto)
    go2 = _GO2.search(text, 0, _first(text))
    if go2 is not None:
        found["framed"] = "go"
        _set(found, "service", go2.group(1))
        _set(found, "operation", go2.group(2))
        for pattern in _GO2_CODES:
            code = pattern.search(text, go2.end(), min(go2.end() + 1024, _first(text)))
            if code is not None:
                _set(found, "code", code.group(1))
                text = _after(text, code)
                break
    cfn = _CFN.search(text)
    if cfn is not None and cfn.start() < _first(text):
        found["framed"] = "cloudformation"
        text = cfn.group(1)
        java = _JAVA.search(text)
        if java is not None:
            _set(found, "code", java.group(3))
        _set(found, "code", cfn.group(2))
    old = _JAVA_OLD.search(text, 0, _first(text))
    if old is not None:
        found["framed"] = "java"
        _set(found, "status", old.group(1))
        _set(found, "service", old.group(2))
        _set(found, "code", old.group(3))
        text = re.match(r'[^"\n]*', _after(text, old)).group(0)  # type: ignore[union-attr]
    java = _JAVA.search(text)
    if java is not None:  # after the message: code and service only, never a cut before it
        _set(found, "service", java.group(1))
        _set(found, "status", java.group(2))
        _set(found, "code", _STATUS_WORD.sub("", java.group(3) or ""))  # "403 Forbidden"
    api = _CFN_API.search(text, 0, _first(text))
    if api is not None:  # older CloudFormation events: "API: s3:CreateBucket Access Denied"
        found["framed"] = "cloudformation"
        _set(found, "service", api.group(1))
        _set(found, "operation", api.group(2))
        text = _after(text, api)
    php = _PHP_CALL.search(text, 0, _first(text))
    if php is not None:
        error = _PHP_ERROR.search(text, php.end())
        if error is not None and error.start() <= _first(text):
            _set(found, "code", error.group(1))
            return error.group(2)
    dotnet = _DOTNET_CODE.search(text)
    if dotnet is not None:
        _set(found, "code", dotnet.group(1))
    return _from_code_prefix(text, found)


def _from_code_prefix(text: str, found: dict[str, str]) -> str:
    """'... AccessDenied: MSG' (Go v1, JavaScript, Terraform): the code, and the text after it."""
    region = text[: _first(text)]
    for pattern in (_PAREN_CODE, _CODE_PREFIX):
        for m in pattern.finditer(region):
            if _looks_like_code(m.group(1)):
                found["framed"] = "code"
                _set(found, "code", m.group(1))
                return _after(text, m)
    classes = list(_CLASS_PREFIX.finditer(region))  # "...model.S3Exception: MSG"
    if classes:
        found["framed"] = "class"
        return _after(text, classes[-1])
    return text


def _looks_like_code(token: str) -> bool:
    """An AWS error code, not a class name of the SDK or the language."""
    if token in _NOT_CODES:
        return False
    if re.fullmatch(g.RE_DENIAL_CODE, token) or re.fullmatch(g.RE_NOT_DENIAL_CODE, token):
        return True
    if not token.endswith(_CODE_ENDINGS):
        return False
    for ending in ("ServiceException", "Exception"):  # AmazonS3Exception, S3Exception, KmsException
        if token.endswith(ending) and service_prefix(token[: -len(ending)]) is not None:
            return False
    return True


def _first_message(text: str) -> str:
    """The first of several messages joined as 'MSG, User: ... is not authorized ...'."""
    first = text.find(g.MARK)
    second = text.find(g.MARK, first + len(g.MARK)) if first >= 0 else -1
    joint = text.rfind(", " + g.USER_MARK, first, second) if second >= 0 else -1
    return text[:joint] if joint >= 0 else text


def _cut_trailer(text: str) -> str:
    """Cut the SDK's trailer (request ids, stack) that follows the message, never before it."""
    first = _first(text)
    m = _TRAILERS.search(text, 0 if first == len(text) else first)
    return text[: m.start()] if m else text


def _host_service(url: str) -> str | None:
    """'https://bucket.s3.us-west-2.amazonaws.com/key' -> 's3' (the label before the region)."""
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split(":", 1)[0].lower()
    if not host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return None
    labels = host.split(".amazonaws.com")[0].split(".")
    for label in reversed(labels):
        if _REGION_LABEL.fullmatch(label):
            continue
        return label if service_prefix(label) else None
    return None


def _service_from_stack(text: str, found: dict[str, str]) -> None:
    """Service and operation from exception class names and client stack frames."""
    if "service" not in found:
        names = (m.group(1) for pattern in _SERVICE_HINTS for m in pattern.finditer(text))
        service = next((name for name in names if service_prefix(name)), None)
        if service is not None:
            found["service"] = service
    if "operation" in found:
        return
    for m in _CLIENT_CALL.finditer(text):
        name = m.group(2)
        if service_prefix(m.group(1)) and name not in _INTERNAL_CALLS:
            found["operation"] = name[:1].upper() + name[1:]
            found.setdefault("service", m.group(1))
            return
    if "@aws-sdk/" in text:
        js = _JS_COMMAND.search(text)
        if js:
            found["operation"] = js.group(1)
