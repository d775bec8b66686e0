# Two entry points for a fresh machine (see README): `make demo` and `make test`; both install .[all,dev].
PYTHON ?= python3
VENV ?= .venv
# The CPU build of torch that lies on this platform's disk; GPU users: make TORCH_SPEC='torch>=2.2,<3'
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.stancekit-installed

.PHONY: install demo test bench docs labeling-picture clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/stancekit demo

test: $(STAMP)
	$(BIN)/ruff check --select F,E9 stancekit tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# docs/labelstudio-labeling.png (the README's picture) from the browser test, never by hand
labeling-picture: $(STAMP)
	STANCEKIT_REFRESH_DOCS=1 $(BIN)/python -m pytest tests/test_browser_labeling.py -k mouse_and_hotkeys

bench: $(STAMP)
	$(BIN)/python bench/segment_mentions.py

# docs/cli.md, the command reference, generated from the commands themselves (tests/test_docs.py fails when stale)
docs: $(STAMP)
	$(BIN)/python -m typer stancekit.cli utils docs --name stancekit --title "stancekit command reference" --output docs/cli.md

clean:
	rm -rf $(VENV)
