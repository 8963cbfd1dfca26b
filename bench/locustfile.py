"""The peer for run_vs_wrk.sh: Locust's fastest user (FastHttpUser), looping GET / with no wait."""
from locust import task
from locust.contrib.fasthttp import FastHttpUser


class NoWait(FastHttpUser):
    @task
    def index(self):
        self.client.get("/")
