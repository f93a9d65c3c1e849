"""Streaming untrusted XML (GPX, TCX) safely and in bounded memory.

Two passes. First defusedxml's expat reader reads the prolog, up to the root element's start tag: that is the
only place a document type declaration can stand, and entities can only be declared inside one, so refusing it
there rules out entity expansion ("billion laughs") and external entities for the whole file. Then the standard
library's C-accelerated iterparse streams the document (defusedxml's own ElementTree parser is the pure-Python
one, about 4x slower); a reference to an undeclared entity is a parse error there. Nesting deeper than
``MAX_DEPTH`` is refused, and elements are detached from the tree once read, so memory stays bounded by the
largest record (a track point). Every failure becomes ``UnreadableFileError`` with a one-line reason.

Some exporters (Strava among them) use a namespace prefix, ``gpxtpx:`` say, without declaring it. Such a file is
not well-formed XML, but what it means is plain: ``tolerant`` reads it again with the missing declarations added
to the root element (a placeholder namespace per prefix; readers match local names in any namespace), through
the same defused parse.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import TypeVar, cast
from xml.etree import ElementTree

from stridelink.errors import UnreadableFileError

MAX_DEPTH = 64  # GPX and TCX need about 8 levels
MAX_RECORD_ELEMENTS = 10_000  # elements inside one record (a track point holds a dozen)
CHUNK_BYTES = 16 * 1024  # what expat parses before we look: bounds the work done on a hostile file
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"

# ("start" | "end", local name, element, parent's local name)
Event = tuple[str, str, ElementTree.Element, str]
T = TypeVar("T")
_NAME = rb"[A-Za-z_][\w.\-]*"
_USED_PREFIX = re.compile(rb"</?(" + _NAME + rb"):|\s(" + _NAME + rb"):" + _NAME + rb"\s*=")
_DECLARED_PREFIX = re.compile(rb"xmlns:(" + _NAME + rb")\s*=")
_ROOT_NAME = re.compile(rb"<(" + _NAME + rb"(?::" + _NAME + rb")?)")
UNDECLARED_NAMESPACE = "urn:stridelink:undeclared:"


def tolerant(collect: Callable[[bytes], T], data: bytes) -> T:
    """``collect(data)``, read again with undeclared namespace prefixes declared when that is all that is wrong."""
    try:
        return collect(data)
    except UnreadableFileError as exc:
        if "unbound prefix" not in str(exc):
            raise
        declared = declare_unbound_prefixes(data)
        if declared == data:
            raise
        return collect(declared)


def declare_unbound_prefixes(data: bytes) -> bytes:
    """The document with a declaration on its root element for each prefix it uses but never declares."""
    used = {a or b for a, b in _USED_PREFIX.findall(data)}
    missing = sorted(used - set(_DECLARED_PREFIX.findall(data)) - {b"xml", b"xmlns"})
    if not missing:
        return data
    at = 0
    while True:  # the root is the first element after the prolog's declaration, comments and instructions
        at = data.find(b"<", at)
        if at < 0:
            return data
        if data.startswith(b"<?", at):
            at = data.find(b"?>", at)
        elif data.startswith(b"<!--", at):
            at = data.find(b"-->", at)
        else:
            break
        if at < 0:
            return data
    root = _ROOT_NAME.match(data, at)
    if root is None:
        return data
    insert = root.end()
    declarations = b"".join(
        b' xmlns:' + prefix + b'="' + UNDECLARED_NAMESPACE.encode() + prefix + b'"' for prefix in missing
    )
    return data[:insert] + declarations + data[insert:]


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``: readers match names inside any namespace."""
    return tag.rpartition("}")[2]


class _LocalNames(dict[str, str]):
    """Tag -> local name, computed once per tag."""

    def __missing__(self, tag: str) -> str:
        self[tag] = name = local_name(tag)
        return name


def iterparse(
    data: bytes, *, records: frozenset[str], starts: frozenset[str], max_depth: int = MAX_DEPTH
) -> Iterator[Event]:
    """Elements in document order: the root's start and those named in ``starts``; every end outside records.

    An element is complete at its "end" event. A record (an element whose local name is in ``records``, such as
    ``trkpt``) is yielded whole: read its subtree at its "end". Any other element is detached from its parent
    right after its "end" was handled, so read what you need at that moment.
    """
    # Exporters leave a BOM or blank lines before the prolog.
    data = data.removeprefix(_BOM).lstrip(_WHITESPACE)
    if not data:
        raise UnreadableFileError("the file is empty")
    check_prolog(data)
    open_elements: list[ElementTree.Element] = []  # outside records only
    open_names: list[str] = []
    names = _LocalNames()
    depth = 0
    record_depth = 0  # depth of the open record, 0 outside records
    record_elements = 0
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(("start", "end"))
    try:
        for offset in range(0, len(data) + CHUNK_BYTES, CHUNK_BYTES):
            if offset < len(data):
                parser.feed(data[offset : offset + CHUNK_BYTES])
            else:
                parser.close()  # a truncated file fails here
            # Only "start" and "end" events were asked for: each comes with its element.
            for event, elem in cast(Iterator[tuple[str, ElementTree.Element]], parser.read_events()):
                if event == "start":
                    depth += 1
                    if depth > max_depth:
                        raise UnreadableFileError(f"elements nested deeper than {max_depth} levels")
                    if record_depth:
                        record_elements += 1
                        if record_elements > MAX_RECORD_ELEMENTS:
                            raise UnreadableFileError(f"a <{open_names[-1]}> holds too many elements")
                        continue
                    name = names[elem.tag]
                    parent = open_names[-1] if open_names else ""
                    open_elements.append(elem)
                    open_names.append(name)
                    if name in records:
                        record_depth, record_elements = depth, 0
                    if name in starts or depth == 1:
                        yield "start", name, elem, parent
                    continue
                depth -= 1
                if depth >= record_depth > 0:
                    continue  # inside a record: its owner reads the whole subtree at the record's end
                record_depth = 0
                open_elements.pop()
                name = open_names.pop()
                yield "end", name, elem, open_names[-1] if open_names else ""
                if open_elements:
                    del open_elements[-1][:]  # earlier siblings are gone already, so this drops only elem
    except ElementTree.ParseError as exc:
        raise UnreadableFileError(f"not well-formed XML ({exc})") from None
    except (LookupError, ValueError) as exc:  # expat's encoding handler: an unknown or a multi-byte encoding
        raise UnreadableFileError(f"unsupported character encoding ({exc})") from None


class _RootReached(Exception):
    pass


def check_prolog(data: bytes) -> None:
    """Refuse a document type declaration (and so any entity) before the root element, by defusedxml's rules."""
    # SAX and defusedxml load with the first XML file a process reads, not with every command
    from xml.sax import SAXException
    from xml.sax.handler import ContentHandler

    from defusedxml import DefusedXmlException
    from defusedxml.expatreader import create_parser  # type: ignore[import-untyped]

    class _StopAtRoot(ContentHandler):  # type: ignore[misc]
        def startElement(self, name: str, attrs: object) -> None:
            raise _RootReached

    reader = create_parser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    reader.setContentHandler(_StopAtRoot())
    try:
        reader.parse(io.BytesIO(data))
    except _RootReached:
        return
    except DefusedXmlException as exc:
        raise UnreadableFileError(
            f"refused: the file declares a document type ({type(exc).__name__}); activity files never need one, "
            "and entity expansion or external references are not allowed"
        ) from None
    except SAXException as exc:
        raise UnreadableFileError(f"not well-formed XML ({exc.getMessage()})") from None
    except (LookupError, ValueError) as exc:  # expat's encoding handler: an unknown or a multi-byte encoding
        raise UnreadableFileError(f"unsupported character encoding ({exc})") from None
    raise UnreadableFileError("not well-formed XML (no root element)")
