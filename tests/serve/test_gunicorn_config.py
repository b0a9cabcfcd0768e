"""gunicorn's settings and hooks, called as gunicorn calls them, with a worker that holds only what they read
(gunicorn's `worker.wsgi` and `worker.cfg`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.serve import gunicorn_config


@dataclass
class Cfg:
    graceful_timeout: int = gunicorn_config.graceful_timeout


@dataclass
class App:
    calls: list[tuple[str, float | None]] = field(default_factory=list)

    def warm_up(self) -> None:
        self.calls.append(("warm_up", None))

    def drain(self, timeout: float) -> int:
        self.calls.append(("drain", timeout))
        return 0


@dataclass
class Worker:
    wsgi: object
    cfg: Cfg = field(default_factory=Cfg)


def test_the_worker_warms_up_before_it_serves() -> None:
    app = App()
    gunicorn_config.post_worker_init(Worker(app))
    assert app.calls == [("warm_up", None)]


def test_on_exit_the_lookups_get_the_graceful_time_less_the_margin() -> None:
    app = App()
    gunicorn_config.worker_exit(object(), Worker(app))
    assert app.calls == [("drain", gunicorn_config.graceful_timeout - gunicorn_config.DRAIN_MARGIN_SECONDS)]
    short = App()
    gunicorn_config.worker_exit(object(), Worker(short, Cfg(graceful_timeout=1)))
    assert short.calls == [("drain", 0)]


def test_an_app_without_the_hooks_is_served_as_it_is() -> None:
    gunicorn_config.post_worker_init(Worker(object()))
    gunicorn_config.worker_exit(object(), Worker(object()))


def test_the_drain_ends_before_herokus_kill_and_the_app_loads_before_binding() -> None:
    assert gunicorn_config.graceful_timeout < 30, "Heroku SIGKILLs 30 s after its SIGTERM"
    assert gunicorn_config.preload_app
    assert gunicorn_config.worker_class == "bot.serve.waitress_worker.WaitressWorker"
    assert gunicorn_config.accesslog is None
