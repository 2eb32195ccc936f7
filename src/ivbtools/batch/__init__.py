"""Batch execution: notebook jobs planned, run by workers, published.

Every process that runs notebooks imports nbformat (papermill, nbconvert, nbclient), and nbformat
imports jsonschema, whose format checkers import `rfc3987_syntax` when it is installed (it is: an
extra of jsonschema that the Jupyter packages ask for). That import builds about 35 Lark parsers and
costs 2-3 s CPU in every batch process that imports nbformat (each worker), for the `iri` and
`iri-reference` formats, which no notebook schema uses (python-jsonschema/jsonschema#1428). So the
batch processes do without that one optional checker: jsonschema skips a checker whose library
cannot be imported. Done here, before anything in this package imports nbformat; nothing else in
the process changes (a process that imported jsonschema before keeps what it has).
"""
import sys

if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
