from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Vendor exchange"

    def ready(self):
        from enrollments.signals import cobra_records_changed
        from exchange.receivers import cobra_records_changed as receiver
        cobra_records_changed.connect(receiver, dispatch_uid="exchange.outbox")
