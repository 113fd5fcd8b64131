"""The flow walker: plays one user through a Flow JSON against a Flows endpoint.

    from harness.client import FlowClient
    from harness.walker import walk

    with FlowClient(app_or_url, public_key=pem, app_secret=secret) as client:
        transcript = walk("flow.json", client, seed=1)
    print(transcript.format())
    assert transcript.completed and not transcript.findings

Every input is filled with a value the client would accept (types, patterns, lengths,
options, dates, media uploaded encrypted to a :class:`MockCDN`); every answer is checked
with :func:`harness.flowjson.check_response`, and an invalid one is reported back with
an error notification, like WhatsApp. Choices come from a :class:`Chooser`.
"""

from harness.walker._cdn import MockCDN, StoredMedia
from harness.walker._choosers import (
    NOTHING,
    Chooser,
    FixedChooser,
    RandomChooser,
    ScriptedChooser,
)
from harness.walker._exceptions import CDNError, InputError, UnsatisfiableInputError, WalkerError
from harness.walker._journey import Call, Journey, JourneySettings
from harness.walker._screen import ScreenState, Way
from harness.walker._transcript import Notification, Step, Transcript
from harness.walker._values import (
    Context,
    EmptyInputs,
    MediaUploader,
    component_value,
    empty_value,
    is_required,
    options,
)
from harness.walker._walk import DEFAULT_FLOW_TOKEN, awalk, check_inputs, walk

__all__ = [
    "DEFAULT_FLOW_TOKEN",
    "NOTHING",
    "CDNError",
    "Call",
    "Chooser",
    "Context",
    "EmptyInputs",
    "FixedChooser",
    "InputError",
    "Journey",
    "JourneySettings",
    "MediaUploader",
    "MockCDN",
    "Notification",
    "RandomChooser",
    "ScreenState",
    "ScriptedChooser",
    "Step",
    "StoredMedia",
    "Transcript",
    "UnsatisfiableInputError",
    "WalkerError",
    "Way",
    "awalk",
    "check_inputs",
    "component_value",
    "empty_value",
    "is_required",
    "options",
    "walk",
]
