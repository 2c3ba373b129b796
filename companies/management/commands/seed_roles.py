from django.core.management.base import BaseCommand

from companies.roles import roles_sync


class Command(BaseCommand):
    help = "Create or refresh the HR, Broker and Support groups and their permissions."

    def handle(self, *args, **options):
        roles_sync()
        self.stdout.write("Roles HR, Broker, Support are up to date.")
