from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = gettext_lazy("Workspace: home pages, dashboard and worklists")
