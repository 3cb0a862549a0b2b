"""The district that tests read consent records in when they call services directly: the default pack
and time zone of the settings the test app is made with."""

from registry.core.settings import Settings
from registry.policy.ledger import District
from registry.policy.pack import load_active_pack

_settings = Settings(environment="test")
DISTRICT = District(load_active_pack(_settings.policy_pack), _settings.time_zone)
