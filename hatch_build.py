"""Bundle the shipped models, pipelines and lexicons into wheels built for deployment (e.g. Spark executors).

Editable installs skip this: they read the same files from the checkout.
"""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLED = {
    "models": "feedback_nlp/_bundled/models",
    "pipelines": "feedback_nlp/_bundled/pipelines",
    "data/lexicons": "feedback_nlp/_bundled/data/lexicons",
}


class BundleHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if version == "standard":
            build_data["force_include"].update(BUNDLED)
