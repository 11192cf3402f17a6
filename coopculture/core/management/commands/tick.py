import time

from django.core.management.base import BaseCommand

from coopculture.core import ticks


class Command(BaseCommand):
    help = "Enqueue the periodic work that is due (run every minute by cron, or with --loop)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Keep running, one tick every SECONDS (the demo uses this).",
        )

    def handle(self, *args, loop: int = 0, **options):
        while True:
            ran = ticks.run_due_jobs()
            if ran and options["verbosity"] >= 1:
                self.stdout.write("tick: " + ", ".join(ran))
            if not loop:
                return
            time.sleep(loop)
