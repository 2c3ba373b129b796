from django.apps import AppConfig


class ContinuationConfig(AppConfig):
    name = "continuation"
    verbose_name = "Continuation lifecycle"
