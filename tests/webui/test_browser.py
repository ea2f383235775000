"""The web UI in Debian's Chromium against a real hub process on loopback, at phone and
desktop sizes: signing in through a link, the zones, adjusting, the schedule, history, a
plugin's generated settings form, a live reading, API messages beside the fields for bad
input (the hub unchanged), axe-core on every screen in light and dark, and screenshots of
each screen in artifacts/webui/."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.procs import BIN, http, start_hub
from tests.webui.browser import Browser, axe_violations, screenshot, why_not

pytestmark = pytest.mark.skipif(why_not() is not None, reason=why_not() or "")

SENSORS = ("s-living", "s-bedroom")
SCREENS = ["zones", "zone/1", "schedule/1", "history/1", "log/1", "devices", "settings", "tokens"]


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RealHub:
    def __init__(self, home):
        self.home = home
        self.proc, self.url, self.admin = start_hub(home, "--no-tls", "--no-zeroconf")
        self.proc.wait_for(r"Sign in to the web UI with the link written to")
        self.first_link = (home / "sign-in-link").read_text().strip()
        self.device = self.device_token("hall")

    def device_token(self, node_id: str) -> str:
        return subprocess.run([str(BIN / "rpymostat"), "--home", str(self.home), "token", "create", "--role",
                               "device", "--node", node_id], capture_output=True, text=True, check=True).stdout.strip()

    def call(self, method, path, body=None, token=None):
        status, answer = http(method, self.url + path, body, token or self.admin)
        assert status < 300, (method, path, status, answer)
        return answer

    def reading(self, sensor: str, value: float) -> None:
        self.call("POST", "/v1/readings", {"node_id": "hall", "readings": [
            {"sensor_id": sensor, "time": iso(time.time()), "value": value}]}, token=self.device)

    def login_link(self) -> str:
        return subprocess.run([str(BIN / "rpymostat"), "--home", str(self.home), "login-link", "--url", self.url],
                              capture_output=True, text=True, check=True).stdout.strip()

    def seed(self) -> None:
        self.call("POST", "/v1/nodes", {"node_id": "hall", "kind": "sensor", "name": "Hall",
                                        "sensors": [{"sensor_id": s} for s in SENSORS]}, token=self.device)
        # Six hours of readings every ten minutes, for the history to chart.
        now = time.time()
        self.call("POST", "/v1/readings", {"node_id": "hall", "readings": [
            {"sensor_id": sensor, "time": iso(now - 600 * step), "value": round(base + (step % 6) / 5, 2)}
            for step in range(36, 0, -1) for sensor, base in zip(SENSORS, (19.5, 18.5))]}, token=self.device)
        self.reading("s-living", 20.4)
        self.reading("s-bedroom", 19.2)
        self.call("PATCH", "/v1/sensors/s-living", {"alias": "Living room"})
        self.call("POST", "/v1/zones", {"name": "Home", "sensors": list(SENSORS),
                                        "default_target": {"mode": "heat", "heat_setpoint": 18}})
        self.call("POST", "/v1/nodes", {"node_id": "boiler", "kind": "relay", "name": "Boiler room",
                                        "url": "http://127.0.0.1:9/", "outputs": [{"output_id": "gpio17"}]},
                  token=self.device_token("boiler"))
        self.call("POST", "/v1/rules", {"zone_id": 1, "name": "Evenings", "kind": "recurring",
                                        "cron": "0 17 * * *", "duration": "PT5H",
                                        "target": {"mode": "heat", "heat_setpoint": 20.5}})


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    real = RealHub(tmp_path_factory.mktemp("hub"))
    real.seed()
    yield real
    real.proc.stop()


@pytest.fixture(scope="module")
def browser():
    chromium = Browser()
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def signed_in(hub, browser):
    """Storage of a browser signed in through a link (shared by the scenarios that need one)."""
    def scenario(page):
        page.goto(hub.login_link())
        page.wait_for_selector(".zone .temp")
        return page.context.storage_state()

    return browser.run(scenario)


SIZES = ["phone", "desktop"]


@pytest.mark.parametrize("size", SIZES)
def test_a_link_signs_a_browser_in_and_the_zone_shows_its_temperature(hub, browser, size):
    link = hub.login_link() if size == "desktop" else hub.first_link

    def scenario(page):
        page.goto(link)
        temperature = page.wait_for_selector(".zone .temp").inner_text()
        assert re.fullmatch(r"\d+\.\d °C", temperature), temperature
        assert "#/signin/" not in page.url
        assert page.evaluate("localStorage.getItem('rpymostat.token')")
        assert page.locator(".zone .sensors").inner_text().count("°C") == 2
        return page.evaluate("Number(localStorage.getItem('rpymostat.token_id'))")

    token_id = browser.run(scenario, size)
    names = {t["id"]: t["name"] for t in hub.call("GET", "/v1/tokens")["tokens"]}
    assert names[token_id].startswith("browser: Chromium on Linux")


def test_a_used_link_is_refused(hub, browser):
    link = hub.login_link()
    browser.run(lambda page: (page.goto(link), page.wait_for_selector(".zone")))

    def again(page):
        page.goto(link)
        assert "not valid" in page.wait_for_selector("[role=alert]").inner_text()
        assert page.evaluate("localStorage.getItem('rpymostat.token')") is None

    browser.run(again)


def test_a_pasted_token_signs_in_too(hub, browser):
    def scenario(page):
        page.goto(hub.url + "/")
        page.get_by_label("Admin token").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        assert "not valid" in page.wait_for_selector("[data-error-for=token]:not([hidden])").inner_text()
        page.get_by_label("Admin token").fill(hub.admin)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector(".zone .temp")

    browser.run(scenario, "desktop")


@pytest.mark.parametrize("size", SIZES)
def test_raising_the_target_holds_it_on_the_hub(hub, browser, signed_in, size):
    before = hub.call("GET", "/v1/zones/1/state")["target"]["heat_setpoint"]

    def scenario(page):
        page.goto(hub.url + "/#/zone/1")
        raise_ = page.get_by_role("button", name="Raise heat setpoint by 0.5 °C")
        raise_.click()
        raise_.click()
        page.get_by_label("For a number of hours").check()
        page.get_by_label("Number of hours", exact=True).fill("3")
        # The zone's screen is on the page before the hold is answered: wait for the answer.
        with page.expect_response(lambda r: r.url.endswith("/v1/zones/1/hold")
                                  and r.request.method == "PUT") as answer:
            page.get_by_role("button", name="Apply").click()
        assert answer.value.status == 200, answer.value.text()
        page.wait_for_selector(".zone .temp")

    browser.run(scenario, size, storage=signed_in)
    state = hub.call("GET", "/v1/zones/1/state")
    assert state["target"]["heat_setpoint"] == before + 1.0
    hold = [r for r in hub.call("GET", "/v1/rules?zone_id=1")["rules"] if r["kind"] == "hold"][0]
    length = datetime.fromisoformat(hold["end"]) - datetime.fromisoformat(hold["start"])
    assert timedelta(hours=2, minutes=59) <= length <= timedelta(hours=3, minutes=1)


def new_rule_form(page, hub, kind: str, name: str | None = None):
    """The schedule screen's form for a new rule of ``kind`` ("recurring rule" or "one-time
    interval"), opened, with ``name`` filled in."""
    page.goto(hub.url + "/#/schedule/1")
    page.get_by_text(f"New {kind}").click()
    form = page.get_by_role("form", name=f"New {kind}")
    if name is not None:
        form.get_by_label("Name").fill(name)
    return form


def rule_named(hub, name: str) -> dict:
    return [r for r in hub.call("GET", "/v1/rules?zone_id=1")["rules"] if r["name"] == name][0]


@pytest.mark.parametrize("size", SIZES)
def test_a_new_recurring_rule_shows_in_the_week(hub, browser, signed_in, size):
    name = f"Mornings {size}"

    def scenario(page):
        form = new_rule_form(page, hub, "recurring rule", name)
        for day in ("Sat", "Sun"):
            form.get_by_label(day).check()
        form.get_by_label("Starts").fill("06:30")
        form.get_by_label("Ends").fill("08:00")
        form.get_by_label("Heat to (°C)").fill("21")
        form.get_by_role("button", name="Add rule").click()
        page.wait_for_selector(f".rules li:has-text('{name}')")
        blocks = page.locator(".week .block", has_text="21.0")
        labels = [blocks.nth(i).get_attribute("aria-label") for i in range(blocks.count())]
        assert len([text for text in labels if name in text]) == 7, labels

    browser.run(scenario, size, storage=signed_in)
    rule = rule_named(hub, name)
    assert rule["cron"] == "30 6 * * 0,1,2,3,4,5,6" and rule["duration"] == "PT1H30M"


@pytest.mark.parametrize("size", SIZES)
def test_a_one_time_away_rule(hub, browser, signed_in, size):
    name = f"Away {size}"

    def scenario(page):
        form = new_rule_form(page, hub, "one-time interval", name)
        form.get_by_label("From").fill("2027-12-21T00:00")
        form.get_by_label("To", exact=True).fill("2027-12-28T18:00")
        form.get_by_label("Heat to (°C)").fill("12")
        form.get_by_role("button", name="Add interval").click()
        page.wait_for_selector(f".rules li:has-text('{name}')")

    browser.run(scenario, size, storage=signed_in)
    rule = rule_named(hub, name)
    assert rule["interval"] == "2027-12-21T00:00/2027-12-28T18:00"
    assert rule["target"]["heat_setpoint"] == 12


def test_bad_input_shows_the_apis_message_beside_the_field_and_changes_nothing(hub, browser, signed_in):
    rules_before = hub.call("GET", "/v1/rules")
    settings_before = hub.call("GET", "/v1/settings")

    def scenario(page):
        form = new_rule_form(page, hub, "one-time interval")
        form.get_by_label("From").fill("2027-12-28T00:00")
        form.get_by_label("To", exact=True).fill("2027-12-21T00:00")
        form.get_by_role("button", name="Add interval").click()
        interval = form.locator("[data-error-for=start]")
        interval.wait_for()
        assert "interval" in interval.inner_text().lower() or "before" in interval.inner_text().lower()
        assert form.get_by_label("From").get_attribute("aria-invalid") == "true"
        form.get_by_label("Heat to (°C)").fill("40")
        form.get_by_label("From").fill("2027-12-21T00:00")
        form.get_by_label("To", exact=True).fill("2027-12-28T00:00")
        form.get_by_role("button", name="Add interval").click()
        setpoint = form.locator("[data-error-for='target/heat_setpoint']")
        setpoint.wait_for()
        assert "35" in setpoint.inner_text()

        page.goto(hub.url + "/#/settings")
        plugin = page.get_by_role("form", name="hysteresis")
        plugin.get_by_label("deadband").fill("9")
        plugin.get_by_role("button", name="Save hysteresis").click()
        message = plugin.locator("[data-error-for=deadband]")
        message.wait_for()
        assert "maximum" in message.inner_text()

    browser.run(scenario, "phone", storage=signed_in)
    assert hub.call("GET", "/v1/rules") == rules_before
    assert hub.call("GET", "/v1/settings") == settings_before


@pytest.mark.parametrize("size", SIZES)
def test_a_plugin_setting_changes_through_its_generated_form(hub, browser, signed_in, size):
    value = {"phone": "0.8", "desktop": "0.6"}[size]

    def scenario(page):
        page.goto(hub.url + "/#/settings")
        plugin = page.get_by_role("form", name="hysteresis")
        plugin.get_by_label("deadband").fill(value)
        plugin.get_by_role("button", name="Save hysteresis").click()
        plugin.locator("[role=status]:text-is('Saved.')").wait_for()

    browser.run(scenario, size, storage=signed_in)
    assert hub.call("GET", "/v1/settings")["deadband"] == float(value)


@pytest.mark.parametrize("size", SIZES)
def test_a_live_reading_arrives_without_reloading(hub, browser, signed_in, size):
    value = {"phone": 23.7, "desktop": 24.1}[size]

    def scenario(page):
        page.goto(hub.url + "/#/zones")
        page.wait_for_selector("body[data-live=live]")
        page.evaluate("window.__marker = 'no reload'")
        hub.reading("s-bedroom", value)
        page.wait_for_selector(f"[data-sensor=s-bedroom] .value:text-is('{value} °C')")
        assert page.evaluate("window.__marker") == "no reload"

    browser.run(scenario, size, storage=signed_in)


@pytest.mark.parametrize("size", SIZES)
def test_the_history_chart_has_data(hub, browser, signed_in, size):
    def scenario(page):
        page.goto(hub.url + "/#/history/1")
        page.wait_for_selector(".chart canvas")
        summary = page.locator(".summary").inner_text()
        points = re.match(r"(\d+) points \(raw\) from the hub's history", summary)
        assert points and int(points.group(1)) >= 2 * 36, summary
        return page.locator(".u-legend").inner_text()

    legend = browser.run(scenario, size, storage=signed_in)
    assert "Temperature" in legend and "Target" in legend and "Living room" in legend, legend


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES)
def test_every_screen_passes_axe_and_is_photographed(hub, browser, signed_in, size, scheme):
    def scenario(page):
        found = {}
        for screen in SCREENS:
            page.goto(f"{hub.url}/#/{screen}")
            page.wait_for_selector(f"main[data-ready='#/{screen}']")
            screenshot(page, f"{size}-{scheme}-{screen.replace('/', '-')}")
            found[screen] = axe_violations(page)
        page.evaluate("localStorage.clear()")
        page.goto(f"{hub.url}/#/signin")
        page.wait_for_selector("main h1")
        screenshot(page, f"{size}-{scheme}-signin")
        found["signin"] = axe_violations(page)
        return found

    found = browser.run(scenario, size, scheme, storage=signed_in)
    assert {screen: v for screen, v in found.items() if v} == {}


def test_without_the_event_stream_the_ui_polls_and_comes_back_live(hub, browser, signed_in):
    def scenario(page):
        page.route("**/v1/events", lambda route: route.abort())
        page.goto(hub.url + "/#/zones")
        page.wait_for_selector("body[data-live=polling]")
        assert "every 10 s" in page.locator("#live").inner_text()
        hub.reading("s-living", 22.3)
        page.wait_for_selector("[data-sensor=s-living] .value:text-is('22.3 °C')", timeout=20000)
        page.unroute("**/v1/events")
        page.wait_for_selector("body[data-live=live]", timeout=20000)

    browser.run(scenario, "phone", storage=signed_in)


def test_a_zones_overrides_through_their_generated_form(hub, browser, signed_in):
    def scenario(page):
        page.goto(hub.url + "/#/settings")
        form = page.get_by_role("form", name="Home overrides")
        form.get_by_label("min off s").fill("600")
        form.get_by_role("button", name="Save Home overrides").click()
        form.locator("[role=status]:text-is('Saved.')").wait_for()

    browser.run(scenario, "desktop", storage=signed_in)
    assert hub.call("GET", "/v1/zones/1")["settings"] == {"min_off_s": 600}


def history_answer(route, request):
    """The history routes answered as their documentation (docs/history.md) shows them."""
    from urllib.parse import parse_qs, urlsplit

    url = urlsplit(request.url)
    if url.path == "/v1/history/series":
        body = {"series": ["zone/1/temperature", "zone/1/target_low", "zone/1/target_high", "zone/1/action",
                           "sensor/s-living", "sensor/s-bedroom", "outdoor/temperature"]}
    elif url.path == "/v1/runs":
        body = {"zone_id": 1, "from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z", "truncated": False,
                "runs": [{"id": 7, "zone_id": 1, "kind": "heat", "start": "2026-12-01T06:00:00Z",
                          "end": "2026-12-01T06:12:30Z", "duration_s": 750.0, "start_temperature": 18.7,
                          "start_outdoor": 2.5, "start_sensors": {"s-living": 18.7},
                          "samples": [{"time": "2026-12-01T06:10:00Z", "temperature": 19.6, "outdoor": 2.4,
                                       "sensors": {"s-living": 19.6}}]}]}
    else:
        query = parse_qs(url.query)
        start = datetime.fromisoformat(query["from"][0].replace("Z", "+00:00"))
        step = (datetime.fromisoformat(query["to"][0].replace("Z", "+00:00")) - start) / 24
        values = {"zone/1/temperature": 19.0, "zone/1/target_low": 20.0, "zone/1/target_high": 24.0,
                  "zone/1/action": 1.0,
                  "sensor/s-living": 19.5, "sensor/s-bedroom": 18.5, "outdoor/temperature": 3.0}
        body = {"from": query["from"][0], "to": query["to"][0], "max_points": int(query["max_points"][0]),
                "truncated": False, "series": [
                    {"name": name, "resolution": "1h", "step_s": step.total_seconds(),
                     "points": [{"time": iso((start + step * i).timestamp()), "min": values[name],
                                 "mean": values[name] + (i % 3) / 10, "max": values[name] + 0.3, "count": 12}
                                for i in range(24)]}
                    for name in query["series"]]}
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_the_history_screen_reads_the_documented_history_shape(hub, browser, signed_in):
    def scenario(page):
        page.route(re.compile(r".*/v1/(history|runs)(/series)?\?.*|.*/v1/history/series$"), history_answer)
        page.goto(hub.url + "/#/history/1")
        page.wait_for_selector(".chart canvas")
        assert page.locator(".summary").inner_text().startswith("168 points (1h)")
        page.get_by_role("button", name="year").click()
        page.wait_for_selector(".runs li")
        return page.locator(".u-legend").inner_text(), page.locator(".runs").inner_text()

    legend, runs = browser.run(scenario, "desktop", storage=signed_in)
    for name in ("Temperature", "Heat to", "Cool to", "Living room", "s-bedroom", "Outdoor"):
        assert name in legend, legend
    assert "heat" in runs and "13 min" in runs and "18.7 °C" in runs and "19.6 °C" in runs


def test_a_tapped_block_names_its_rule_and_edits_it(hub, browser, signed_in):
    def scenario(page):
        page.goto(hub.url + "/#/schedule/1")
        # The week's last evening: today's may lie under a hold an earlier test made.
        page.locator(".week .block[aria-label*='(Evenings)']").last.click()
        detail = page.locator(".detail")
        assert detail.locator("h2").inner_text() == "Evenings"
        form = detail.get_by_role("form", name="Edit Evenings")
        assert form.get_by_label("Starts").input_value() == "17:00"
        assert form.get_by_label("Ends").input_value() == "22:00"
        form.get_by_label("Ends").fill("23:00")
        form.get_by_role("button", name="Save").click()
        page.wait_for_selector(".week .block[aria-label*='–11:00 PM: heat, heat to 20.5 °C (Evenings)'], "
                               ".week .block[aria-label*='–23:00: heat, heat to 20.5 °C (Evenings)']")

    browser.run(scenario, "phone", storage=signed_in)
    assert rule_named(hub, "Evenings")["duration"] == "PT6H"


def test_fahrenheit_is_a_choice_of_the_browser(hub, browser, signed_in):
    def scenario(page):
        page.goto(hub.url + "/#/devices")
        page.get_by_label("Temperature units").select_option("F")
        page.wait_for_selector("main[data-ready='#/devices']")
        return page.locator("tr[data-sensor=s-living] .value").inner_text()

    shown = browser.run(scenario, "desktop", storage=signed_in)
    value = [s for s in hub.call("GET", "/v1/sensors")["sensors"] if s["id"] == "s-living"][0]["last_value"]
    assert shown == f"{value * 9 / 5 + 32:.1f} °F"
    assert hub.call("GET", "/v1/settings")["units"] == "C"


def test_signing_out_revokes_the_browsers_token(hub, browser):
    link = hub.login_link()

    def scenario(page):
        page.goto(link)
        page.wait_for_selector(".zone")
        token_id = page.evaluate("Number(localStorage.getItem('rpymostat.token_id'))")
        page.goto(hub.url + "/#/tokens")
        page.locator(f"li[data-token='{token_id}']").get_by_role("button", name="Sign out").click()
        page.wait_for_selector("form input[type=password]")
        assert page.evaluate("localStorage.getItem('rpymostat.token')") is None
        return token_id

    token_id = browser.run(scenario, "phone")
    revoked = {t["id"]: t["revoked"] for t in hub.call("GET", "/v1/tokens")["tokens"]}
    assert revoked[token_id] is not None


def test_a_hold_until_a_past_time_is_refused_beside_its_field(hub, browser, signed_in):
    rules_before = hub.call("GET", "/v1/rules")

    def scenario(page):
        page.goto(hub.url + "/#/zone/1")
        page.get_by_label("Until a time").check()
        page.get_by_label("Until (hub's local time)").fill("2020-01-01T08:00")
        page.get_by_role("button", name="Apply").click()
        message = page.locator("[data-error-for=until]")
        message.wait_for()
        assert page.get_by_label("Until (hub's local time)").get_attribute("aria-invalid") == "true"
        return message.inner_text()

    message = browser.run(scenario, "desktop", storage=signed_in)
    assert message == "is not after now"
    assert hub.call("GET", "/v1/rules") == rules_before


def test_cancelling_a_hold(hub, browser, signed_in):
    hub.call("PUT", "/v1/zones/1/hold", {"target": {"mode": "heat", "heat_setpoint": 22}, "until": "PT1H"})

    def scenario(page):
        page.goto(hub.url + "/#/zone/1")
        assert "A hold is on until" in page.locator(".note").inner_text()
        page.get_by_role("button", name="Cancel the hold").click()
        page.wait_for_selector("main[data-ready='#/zones']")

    browser.run(scenario, "phone", storage=signed_in)
    assert [r for r in hub.call("GET", "/v1/rules?zone_id=1")["rules"] if r["kind"] == "hold"] == []


def test_the_keyboard_alone_adjusts_a_zone(hub, browser, signed_in):
    before = hub.call("GET", "/v1/zones/1/state")["target"]

    def scenario(page):
        page.goto(hub.url + "/#/zones")
        page.wait_for_selector("main[data-ready='#/zones']")
        page.get_by_role("link", name="Adjust").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("main[data-ready='#/zone/1']")
        page.get_by_role("button", name="Lower heat setpoint by 0.5 °C").focus()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        page.get_by_label("Until I cancel it").focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="Apply").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("main[data-ready='#/zones']")

    browser.run(scenario, "desktop", storage=signed_in)
    hold = [r for r in hub.call("GET", "/v1/rules?zone_id=1")["rules"] if r["kind"] == "hold"][0]
    assert hold["target"]["heat_setpoint"] == before["heat_setpoint"] - 1.0 and hold["end"] is None
    hub.call("DELETE", "/v1/zones/1/hold")


def test_sensors_and_outputs_are_named_and_assigned_on_the_devices_screen(hub, browser, signed_in):
    def scenario(page):
        page.goto(hub.url + "/#/devices")
        page.wait_for_selector("main[data-ready='#/devices']")
        def patched(path, change):
            with page.expect_response(lambda r: r.url.endswith(path) and r.request.method == "PATCH") as answer:
                change()
            assert answer.value.status == 200

        alias = page.get_by_label("Alias of output gpio17")
        patched("/v1/outputs/gpio17", lambda: (alias.fill("Boiler"), alias.press("Tab")))
        patched("/v1/outputs/gpio17", lambda: page.get_by_label("Function of output gpio17").select_option("heat"))
        alias = page.get_by_label("Alias of sensor s-bedroom")
        patched("/v1/sensors/s-bedroom", lambda: (alias.fill("Bedroom"), alias.press("Tab")))
        patched("/v1/sensors/s-bedroom", lambda: page.get_by_label("Zone of sensor s-bedroom").select_option(""))

    browser.run(scenario, "phone", storage=signed_in)
    output = [o for o in hub.call("GET", "/v1/outputs")["outputs"] if o["id"] == "gpio17"][0]
    assert (output["alias"], output["function"], output["zone_id"]) == ("Boiler", "heat", None)
    sensor = [s for s in hub.call("GET", "/v1/sensors")["sensors"] if s["id"] == "s-bedroom"][0]
    assert (sensor["alias"], sensor["zone_id"]) == ("Bedroom", None)
    hub.call("PATCH", "/v1/sensors/s-bedroom", {"zone_id": 1})
