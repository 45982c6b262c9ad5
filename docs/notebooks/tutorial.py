# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # programma tutorial: project, read, draw, compare
#
# The steps of the documentation's tutorial (`docs/tutorial.md`), as a notebook: project the
# example programme over a thousand scenarios, read what the projection says about a fund and
# an investor, draw a fund's fan chart, change one design choice and compare the two designs.
#
# Install programma from a checkout first, with the `plot` extra, as the tutorial says:
#
# ```console
# $ git clone <repository URL> programma && cd programma
# $ python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[plot]'
# ```
#
# This file is a notebook in jupytext's "percent" format. To open it in Jupyter:
# `pip install jupytext jupyterlab`, then `jupytext --to notebook docs/notebooks/tutorial.py`
# and `jupyter lab docs/notebooks/tutorial.ipynb`. It also runs as a script, without Jupyter:
# `python docs/notebooks/tutorial.py` prints the figures and writes the two charts as PNG
# files in the current folder.

# %%
# ruff: noqa: B018 - a cell's last expression is not useless: the notebook shows it
import matplotlib.pyplot as plt
import numpy as np

import programma
from programma import plot
from programma.examples import leeuwarden_oost

# %% [markdown]
# ## Project the example
#
# *Leeuwarden Oost* is a twenty-year programme (October 2021 to September 2041) against
# poverty passed on from generation to generation, in five neighbourhoods of Leeuwarden: seven
# funds, and four outcome contracts that pay per outcome achieved. One of them, the social
# impact bond `sib-werkroute`, is pre-financed by an impact investor. In a notebook, the
# programme shows its funds and contracts as tables:

# %%
programme = leeuwarden_oost()
programme

# %% [markdown]
# Much in it is uncertain; each uncertain value is a distribution. `programma.project` runs
# the programme over many scenarios, each drawing every uncertain value once. The seed makes
# the run reproducible. The summary shows per fund what it pays in total and in its peak
# year, per contract the cost per outcome paid, and the investor's IRR:

# %%
projection = programma.project(programme, scenarios=1000, seed=42)
summary = projection.summary()
summary

# %% [markdown]
# ## Read the answer
#
# The results fund (`resultatenfonds`), from which the municipality pays for outcomes: its
# total over the twenty years, with the spread over the scenarios (mean, P10 and P90), and its
# peak fiscal year with how often the year's budget is breached.

# %%
fund = "resultatenfonds"
total = programma.Spread.of(projection.outflow(fund).sum(axis=1))
print(f"total: mean {round(total.mean):,}, P10 {round(total.p10):,}, P90 {round(total.p90):,}")

years = [row for row in summary.funds if row.fund == fund]
peak = max(years, key=lambda row: row.outflow.mean)
low, high = round(peak.outflow.p10), round(peak.outflow.p90)
print(f"peak {peak.year}: mean {round(peak.outflow.mean):,}, P10 {low:,}, P90 {high:,}")
print(f"budget breached in {peak.year}: {peak.breach_probability:.1%} of the scenarios")

# %% [markdown]
# The investor in the social impact bond: its internal rate of return (IRR) per year, and how
# often it loses money.

# %%
investor = summary.investors[0]
irr = investor.irr
print(f"IRR: mean {irr.mean:.1%}, P10 {irr.p10:.1%}, P90 {irr.p90:.1%}")
print(f"loss in {investor.loss_probability:.1%} of the scenarios")

# %% [markdown]
# ## Draw a fund's fan chart
#
# The band runs from the P10 to the P90 of each fiscal year, the line is the median, the dots
# are the means, and the step line is the budget available. Where the band reaches the step,
# the budget may be breached. `save_figure` writes the chart (PNG, SVG or PDF, by the suffix).

# %%
ax = plot.fan_chart(projection, fund)
plot.save_figure(ax.figure, "results-fund.png")

# %% [markdown]
# ## Change one design choice
#
# The social impact bond pays €8,000 for each young resident who leaves benefits (the metric
# `uitstroom`). `Programme.with_values` makes a new design with €6,500 instead, by the path of
# the value; the new design gets its own id, and the original is unchanged.

# %%
price = "contracts[sib-werkroute].metrics[uitstroom].price"
lower = programme.with_values({"id": "oost-lower-price", price: 6_500})
print(lower.contracts[0].metrics[0].price)
print(programme.contracts[0].metrics[0].price)

# %% [markdown]
# ## Compare the two designs
#
# `programma.compare` projects both designs with the same seed and compares them scenario by
# scenario: the paired difference B − A. In a notebook it shows per fund, contract and
# investor the means of A and B, the mean difference, its P10 and P90, and how often B is
# higher.

# %%
runs = programma.compare(programme, lower, scenarios=1000, seed=42)
runs

# %%
change = runs.fund_outflow(fund)
print(f"A: mean {round(change.a.mean):,}; B: mean {round(change.b.mean):,}")
d = change.difference
print(f"B − A: mean {round(d.mean):,}, P10 {round(d.p10):,}, P90 {round(d.p90):,}")
unchanged = float(np.mean(np.abs(change.values) < 1))
print(f"no change in {unchanged:.0%} of the scenarios")  # the contract's cap binds in both

irr = runs.investor_irr("sib-werkroute")
print(f"IRR: A {irr.a.mean:.1%}, B {irr.b.mean:.1%}")
print(f"B − A: {irr.difference.mean * 100:.1f} percentage points on average")

# %% [markdown]
# Both designs' results fund side by side, on one scale:

# %%
figure, (left, right) = plt.subplots(1, 2, sharey=True, figsize=(12, 4.5), layout="constrained")
plot.fan_chart(runs.a, fund, ax=left).set_title("A: €8,000 per exit")
plot.fan_chart(runs.b, fund, ax=right).set_title("B: €6,500 per exit")
plot.save_figure(figure, "results-fund-lower-price.png")

# %% [markdown]
# ## Where next
#
# `print(summary)` prints every table of the summary, and `programma.comparison_report(runs)`
# every difference. The documentation's how-to guides go further: *Project a programme*,
# *Draw charts*, *Ask what if* and *Compare two designs*.
