# Two commands for a newcomer: `make demo` and `make test`. Each creates or refreshes .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean browser oidc-provider pdf-fonts axe libreoffice java

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kpiboard demo

# The browser tests drive Debian's Chromium (never a downloaded browser): install it when missing;
# the print tests read Chromium's PDFs back with poppler's pdftotext.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	  else echo "warning: /usr/bin/chromium is missing; the browser tests will be skipped (apt-get install chromium)"; fi; }
	@command -v pdftotext >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's poppler-utils for the print tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	  else echo "warning: pdftotext is missing; the printed PDF checks will be skipped (apt-get install poppler-utils)"; fi; }

# The PDF names Debian's DejaVu and Liberation fonts (so it looks the same on every machine and
# has every glyph of "Ynys Môn" or Welsh commentary); its tests read pages back with poppler.
pdf-fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf && test -d /usr/share/fonts/truetype/liberation && command -v pdftoppm >/dev/null && /sbin/ldconfig -p | grep -q libpangoft2-1.0.so.0 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's fonts-dejavu-core, fonts-liberation, poppler-utils and Pango (WeasyPrint's text layout) for the PDF"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fonts-liberation poppler-utils libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else echo "warning: fonts-dejavu-core, fonts-liberation or poppler-utils is missing; PDFs fall back to other fonts and the font tests are skipped (apt-get install fonts-dejavu-core fonts-liberation poppler-utils)"; fi; }

# The Excel workbook is checked by converting it with LibreOffice headless (Debian's Calc without
# its GUI): install it when missing, else the test is skipped.
libreoffice:
	@command -v soffice >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's libreoffice-calc-nogui for the Excel workbook tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null; \
	  else echo "warning: soffice is missing; the LibreOffice test of the Excel workbook will be skipped (apt-get install libreoffice-calc-nogui)"; fi; }

# A Spark warehouse (docs/SPARK.md) runs on Java 17; its tests start a local Spark with it, and a
# Spark Connect server (tests/spark_connect_server.py).
# PySpark itself comes with the `spark` extra (in `dev`). Install Debian's JRE when java is missing.
java:
	@command -v java >/dev/null || test -x "$$JAVA_HOME/bin/java" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's openjdk-17-jre-headless for the Spark warehouse tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; \
	  else echo "warning: java is missing; the Spark warehouse tests will be skipped (apt-get install openjdk-17-jre-headless)"; fi; }

# The single sign-on tests run a real OpenID Connect provider (tests/oidc: the npm package
# oidc-provider on Node.js 20, pinned by its package-lock.json); the tests skip without npm.
oidc-provider:
	@if command -v npm >/dev/null; then \
	  test -d tests/oidc/node_modules/oidc-provider || npm ci --prefix tests/oidc --no-audit --no-fund --silent; \
	else echo "warning: node/npm are missing; the single sign-on tests will be skipped (apt-get install nodejs npm)"; fi

# The accessibility tests inject axe-core (tests/axe, pinned by its package-lock.json) into the
# pages Chromium shows; they skip without npm.
axe:
	@if command -v npm >/dev/null; then \
	  test -f tests/axe/node_modules/axe-core/axe.min.js || npm ci --prefix tests/axe --no-audit --no-fund --silent; \
	else echo "warning: node/npm are missing; the axe-core accessibility tests will be skipped (apt-get install nodejs npm)"; fi

# Ruff (lint, then the formatter in check mode), the import contracts, strict typing.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/lint-imports
	$(BIN)/mypy src

# `make format` rewrites the tree as `make lint` wants it (ruff's safe fixes, then the formatter).
format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks examples
	$(BIN)/ruff format src tests benchmarks examples

test: lint browser oidc-provider axe pdf-fonts libreoffice java
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/engine_windows.py
	$(BIN)/python benchmarks/ingest_csv.py

clean:
	rm -rf $(VENV) .pytest_cache examples/*/.kpiboard tests/oidc/node_modules tests/axe/node_modules
