"""Okta engine speed beside Entra's: changes per second over the null client (no HTTP stack).

The same tenant (scope "all", no churn) is provisioned by each engine's initial pass; each
change is built, serialised, recorded and logged, and answered by canned responses. The figures
are ratios measured in one run on one machine (the test suite asserts no timing).
"""

from __future__ import annotations

from bench.bench_simulator import overhead

USERS = 10_000


def main() -> None:
    rates: dict[str, float] = {}
    for idp in ("entra", "okta", "okta-aiw"):
        changes, elapsed, build = overhead(USERS, True, idp=idp)
        rates[idp] = changes / (elapsed - build)
        print(f"{idp}: {changes} changes in {elapsed:.2f} s = {changes / elapsed:,.0f} changes/s end to end; "
              f"{rates[idp]:,.0f} changes/s without the {build:.2f} s tenant build", flush=True)
    for idp in ("okta", "okta-aiw"):
        print(f"{idp} / entra: {rates[idp] / rates['entra']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
