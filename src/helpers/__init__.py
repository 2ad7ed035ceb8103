"""The inclusion report's package: paths, data, statistics, reports and the pipeline runner."""

import sys

# jsonschema (imported by nbformat, so by papermill and nbconvert) imports rfc3987_syntax
# when it is installed, and that module builds about 38 Earley parsers at import time,
# 1-3 s in every process that reads a notebook, only to check the "iri" string format,
# which no notebook schema uses. Marking it absent makes jsonschema skip that one check.
# See python-jsonschema/jsonschema#1428.
sys.modules.setdefault("rfc3987_syntax", None)
