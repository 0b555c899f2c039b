"""One fix to Rasa 3.6's per-message cost, applied when our REST channel starts.

Rasa validates every action server response with `jsonschema.validate(result,
schema)`. With the jsonschema pinned here (4.17), that call first checks the
schema itself against the JSON Schema meta-schema, on every response: profiled
under load it was ~45% of a Rasa replica's CPU. The schema never changes, so we
check it once and keep the validator; responses are validated exactly as before
(same schema, same ValidationError and message).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text


@lru_cache(maxsize=1)
def _action_response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response "
                      f"from the Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
        raise e


def apply() -> None:
    """Idempotent; called once per Rasa process."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result
