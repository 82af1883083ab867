"""The dashboard's exposure page: upload a product YAML, see when its line stops (docs/dashboard.md).

Same rules as scenario uploads (:mod:`spigot.web.intake`): the request body is capped by the
app's upload limit (413), the product text by :data:`~spigot.exposure.product.MAX_PRODUCT_BYTES`
(413), its nesting depth and YAML aliases are refused (422), an uploaded file's name must be a
plain name (no path), scenarios are built-in names only (no file path from a request reaches
the file system) and run on bundled datasets; the draws are capped at :data:`MAX_EXPOSURE_DRAWS`
and the run-cost limits of the dashboard apply. The work runs in a worker thread
(:func:`~spigot.web.intake.off_loop`, at most two at once) under :data:`EXPOSURE_TIMEOUT_S`: an
exposure is not a stored run, so it does not go through the run queue; its cap on draws keeps
it to seconds.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from spigot import scenarios
from spigot._version import __version__
from spigot.errors import InputError, Problem, UnknownNameError
from spigot.sim.cost import RunLimits
from spigot.web.intake import (
    ScenarioTooLargeError,
    check_aliases,
    check_depth,
    off_loop,
    read_upload,
)

__all__ = ["EXPOSURE_TIMEOUT_S", "MAX_EXPOSURE_DRAWS", "register_exposure", "run_exposure"]

#: Most draws one exposure request may ask for (per scenario).
MAX_EXPOSURE_DRAWS = 256
#: Most scenarios one exposure request may name.
MAX_EXPOSURE_SCENARIOS = 3
#: Seconds an exposure request may take (waiting for a worker included).
EXPOSURE_TIMEOUT_S = 180.0


def run_exposure(label: str, text: str, names: list[str], draws: int,
                 limits: RunLimits) -> dict[str, Any]:
    """Check and run one uploaded product (call it off the event loop).

    Raises
    ------
    InputError
        For a bad product, an unknown scenario, too many draws or a run over the limits.
    """
    from spigot.exposure import exposure
    from spigot.exposure.product import MAX_PRODUCT_BYTES, load_product_text

    size = len(text.encode("utf-8"))
    if size > MAX_PRODUCT_BYTES:
        raise ScenarioTooLargeError(Problem("product text too large", file=label,
                                            value=f"{size:,} bytes",
                                            expected=f"at most {MAX_PRODUCT_BYTES:,} bytes"))
    check_depth(text, label)
    check_aliases(text, label)
    product = load_product_text(text, label)
    if not names or len(names) > MAX_EXPOSURE_SCENARIOS:
        raise InputError(Problem("give one to three scenarios", field="scenario",
                                 value=len(names), expected="built-in scenario names"))
    for name in names:
        if name not in scenarios.names():
            raise UnknownNameError("scenario", name, scenarios.names(), field="scenario")
    if not 1 <= draws <= MAX_EXPOSURE_DRAWS:
        raise InputError(Problem("too many draws for one request", field="draws", value=draws,
                                 expected=f"1 to {MAX_EXPOSURE_DRAWS}",
                                 hint="use 'spigot exposure' for more"))
    return exposure(product, names, draws=draws, file=label, limits=limits).to_dict()


def register_exposure(app: FastAPI, templates: Jinja2Templates, limits: RunLimits) -> None:
    """Add ``GET /exposure`` (the page) and ``POST /api/exposure``."""
    from spigot.exposure import PRODUCTS

    @app.get("/exposure", response_class=HTMLResponse, include_in_schema=False)
    def exposure_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "exposure.html", {
            "version": __version__, "store": str(app.state.store.path),
            "scenarios": scenarios.names(), "products": PRODUCTS.names(),
            "max_draws": MAX_EXPOSURE_DRAWS})

    @app.get("/api/products/{name}", tags=["exposure"])
    def product_text(name: str) -> dict[str, Any]:
        """A bundled example product's YAML text."""
        if name not in PRODUCTS.names():
            raise HTTPException(404, str(UnknownNameError("product", name, PRODUCTS.names())))
        return {"name": name, "yaml": PRODUCTS.path(name).read_text(encoding="utf-8")}

    @app.post("/api/exposure", tags=["exposure"])
    async def post_exposure(
            scenario: Annotated[list[str], Form(description="Built-in scenario names.")],
            yaml_text: Annotated[str | None, Form(alias="yaml",
                                                  description="Product YAML text.")] = None,
            file: Annotated[UploadFile | None, File(description="Product YAML file.")] = None,
            draws: Annotated[int, Form(ge=1)] = 64) -> dict[str, Any]:
        """A product's exposure under built-in scenarios (keys as ``spigot exposure --format
        json``; docs/cli.md)."""
        given = [x for x in (yaml_text, file) if x not in (None, "")]
        if len(given) != 1:
            raise InputError(Problem("give exactly one product", field="yaml",
                                     expected="YAML text (yaml) or an uploaded file (file)"))
        label, text = "uploaded text", str(yaml_text)
        if file is not None:
            label, text = await read_upload(file, "my-product.yaml")
        return await off_loop(run_exposure, label, text, scenario, draws, limits,
                              timeout=EXPOSURE_TIMEOUT_S)
