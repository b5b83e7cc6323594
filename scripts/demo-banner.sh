#!/usr/bin/env bash
# Prints how to use the demo gateway that `make run` is about to start.
listen="${1:-127.0.0.1:8080}"
cat <<TXT

  Countersign demo gateway — http://${listen}
  Data: ./data (SQLite, WAL, synchronous=FULL)   Policies: ./policies   API: http://${listen}/openapi.yaml

  Demo users (PAM, password = <name>-demo-pw):
    alice  payments, engineering            bob    payments, payments-owners, engineering
    carol  payments-owners, sre, engineering  dave   sre, engineering
    erin   auditors, admins

  Reviewer pages: http://localhost:${listen##*:}/  (log in as any demo user; approve, deny, enrol keys)

  Walkthrough, in a second terminal (the CLI is .build/debug/countersign):
    export PATH="\$PWD/.build/debug:\$PATH" COUNTERSIGN_SERVER=http://${listen}
    echo alice-demo-pw | countersign login -u alice --password-stdin
    countersign request deploy --service web --environment staging \\
        --commit 0123456789abcdef0123456789abcdef01234567 --reason "Try the new checkout" --ticket CHG-1041
    echo bob-demo-pw | countersign login -u bob --password-stdin && countersign approve ID   # staging: a session will do
    echo alice-demo-pw | countersign login -u alice --password-stdin
    countersign request deploy --service payments-api --environment production \\
        --commit 0123456789abcdef0123456789abcdef01234567 --reason "Fix settlement rounding" --ticket CHG-1042
    echo erin-demo-pw | countersign login -u erin --password-stdin
    countersign admin invite bob && countersign admin invite dave   # one-time codes to enrol a key
    Then in Chromium, as bob and as dave: log in, enrol a key on /keys with the code (no physical
    key? DevTools > More tools > WebAuthn: add a virtual authenticator), approve on /reviews.
    countersign audit verify-approvals && countersign audit tail && countersign audit verify

  The example break-glass rules page channels (oncall-pagerduty, security-slack) that this demo
  does not configure (--notifications, docs/notifications.md): the gateway says so once at start.

  Stop with Ctrl-C (a final signed audit checkpoint is written).

TXT
