"""Thoth's own provenance check of a Pipfile and Pipfile.lock, as a document of Thoth's shape.

    python thoth_provenance.py [--metadata JSON] provenance -r PIPFILE -l PIPFILE_LOCK [-o OUT]
        (with the venv.sh interpreter; THOTH_DOCUMENT_ID names the document)

Thoth's provenance checker is the `provenance` command of thoth-adviser (0.56.3 is its last
release), which is not installable here: its command-line module imports the resolver, whose
dependencies include `fext`, a C++ extension built against Boost, and matplotlib. Its
`provenance` command is a thin wrapper over thoth-python and thoth-analyzer, which the venv
holds, so this script states that wrapper again with the same click names (so the document's
`metadata.arguments` has the same keys) and the same calls in the same order:

    Pipfile.from_string, PipfileLock.from_string  (thoth-adviser's _instantiate_project)
    result.parameters.project = Project.to_dict()
    report = Project.check_provenance(whitelisted_sources=...)
    thoth.analyzer.print_command_result(...)

One difference, on purpose: thoth-adviser passes a `GraphDigestsFetcher` (artifact digests read
from Thoth's knowledge graph, which a test has no data in); here the check uses thoth-python's
default, `PythonDigestsFetcher`, which reads the same digests from the indexes the Pipfile names
(the loopback index of the test).

An input that is not a Pipfile and a Pipfile.lock (requirements.txt, pylock.toml) fails in
thoth-python's parsers, as it does in thoth-adviser: no document is written and the exit code
is 1 with the parser's exception on stderr.
"""
import time
import warnings

warnings.filterwarnings("ignore")

import click  # noqa: E402
from thoth.analyzer import print_command_result  # noqa: E402
from thoth.python import Pipfile, PipfileLock, Project  # noqa: E402

ANALYZER = "thoth-adviser"
# The release of thoth-adviser whose `provenance` command this follows.
ANALYZER_VERSION = "0.56.3"


@click.group()
@click.option("-v", "--verbose", is_flag=True, envvar="THOTH_ADVISER_DEBUG")
@click.option("--metadata", type=str, envvar="THOTH_ADVISER_METADATA")
def cli(verbose=False, metadata=None):
    """Thoth's provenance check (see the module docstring)."""


@cli.command()
@click.pass_context
@click.option("--requirements", "-r", type=str, required=True)
@click.option("--requirements-locked", "-l", type=str, required=True)
@click.option("--output", "-o", type=str, default="-")
@click.option("--no-pretty", "-P", is_flag=True)
@click.option("--whitelisted-sources", "-i", type=str, required=False)
def provenance(click_ctx, requirements, requirements_locked, output, whitelisted_sources=None, no_pretty=False):
    """Check the provenance of the locked packages against the indexes the Pipfile names."""
    start = time.monotonic()
    whitelisted = whitelisted_sources.split(",") if whitelisted_sources else []
    with open(requirements) as f:
        pipfile = Pipfile.from_string(f.read())
    with open(requirements_locked) as f:
        pipfile_lock = PipfileLock.from_string(f.read(), pipfile)
    project = Project(pipfile=pipfile, pipfile_lock=pipfile_lock)
    result = {
        "error": False,
        "error_msg": None,
        "report": project.check_provenance(whitelisted_sources=whitelisted),
        "parameters": {"whitelisted_indexes": whitelisted, "project": project.to_dict()},
        "input": None,
    }
    print_command_result(
        click_ctx,
        result,
        analyzer=ANALYZER,
        analyzer_version=ANALYZER_VERSION,
        output=output,
        duration=time.monotonic() - start,
        pretty=not no_pretty,
    )


if __name__ == "__main__":
    cli(prog_name=ANALYZER)
