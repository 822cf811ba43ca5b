#!/usr/bin/env bash
# The shipped operations configs as their own tools read them (tests/ops/ops_tests.cmake):
#   ops_config_test.sh SOURCE_DIR CASE
# CASE: alertmanager_config | alertmanager_routes | alertmanager_templates | prometheus_rules |
# prometheus_config. Exit 0: pass; 1: fail (the tool's output says why); 77: the tool is not
# installed (scripts/deps installs prometheus and prometheus-alertmanager).
set -uo pipefail
src="$1"
case_name="$2"
am="$src/config/alertmanager.yml"
tmpl="$src/config/alertmanager/baton.tmpl"
rules_dir="$src/config/prometheus"

need() {
  if ! command -v "$1" >/dev/null; then
    echo "SKIP: $1 is not installed (Debian package $2; scripts/deps installs it)"
    exit 77
  fi
}

fail() {
  echo "FAIL: $*"
  exit 1
}

# routes ALERT-LABELS... EXPECTED: Alertmanager's routing tree sends an alert with these labels
# to exactly these receivers (comma-separated, in route order).
route() {
  local expected="${*: -1}"
  local labels=("${@:1:$#-1}")
  local got
  local file got
  # The demo's Alertmanager (config/demo/alertmanager.yml) routes as the shipped one, except
  # batond's own alerts (the demo runs no Prometheus).
  for file in "$am" "$src/config/demo/alertmanager.yml"; do
    if [ "$file" != "$am" ] && [ "$expected" = it-ops ]; then continue; fi
    got="$(amtool config routes test --config.file="$file" "${labels[@]}" 2>/dev/null)"
    if [ "$got" != "$expected" ]; then
      fail "$file: labels ${labels[*]}: expected receivers '$expected', got '$got'"
    fi
    echo "ok: $file: ${labels[*]} -> $got"
  done
}

case "$case_name" in
  alertmanager_config)
    need amtool prometheus-alertmanager
    amtool check-config "$am" || fail "amtool check-config $am"
    amtool check-config "$src/config/demo/alertmanager.yml" || fail "amtool check-config (demo)"
    ;;
  alertmanager_routes)
    need amtool prometheus-alertmanager
    # By department; key accounts' high/critical also to WeCom; critical also to the chat bot.
    route alertname=qc_failed dept=production severity=high tier=A order=SO-1 production-mail
    route alertname=qc_failed dept=production severity=high tier=key order=SO-1 \
      key-accounts-wechat,production-mail
    route alertname=credit_hold dept=finance severity=medium tier=key order=SO-2 finance-mail
    route alertname=delivery_late dept=logistics severity=critical tier=key order=SO-3 \
      key-accounts-wechat,plant-chat,logistics-mail
    route alertname=delivery_late dept=logistics severity=critical tier=B order=SO-3 \
      plant-chat,logistics-mail
    route alertname=unknown_order dept=sales severity=low order=SO-4 sales-mail
    route alertname=feed_gap dept=quality severity=medium customer-service
    # batond's own alerts (baton-rules.yml) go to IT, never to a department.
    route alertname=BatondDown service=baton severity=critical job=batond it-ops
    ;;
  alertmanager_templates)
    need amtool prometheus-alertmanager
    data="$(mktemp)"
    trap 'rm -f "$data"' EXIT
    cat >"$data" <<'JSON'
{"receiver": "production-mail", "status": "firing", "externalURL": "http://127.0.0.1:9093",
 "groupLabels": {"order": "SO-1"},
 "commonLabels": {"alertname": "qc_failed", "order": "SO-1", "severity": "high", "dept": "production"},
 "commonAnnotations": {},
 "alerts": [
  {"status": "firing", "fingerprint": "1",
   "labels": {"alertname": "qc_failed", "severity": "high", "dept": "production", "tier": "key",
              "stage": "production", "customer": "C-1001", "order": "SO-1"},
   "annotations": {"detail": "SO-1 batch B2 failed quality control: blisters",
                   "customer_name": "Nordfassaden GmbH", "acknowledged_by": "anna: re-run planned",
                   "order_url": "http://127.0.0.1:7780/order/SO-1"},
   "startsAt": "2026-12-01T02:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": ""},
  {"status": "resolved", "fingerprint": "2",
   "labels": {"alertname": "credit_hold", "severity": "medium", "dept": "finance",
              "customer": "C-1001", "order": "SO-1"},
   "annotations": {"detail": "SO-1 credit rejected"},
   "startsAt": "2026-12-01T01:00:00Z", "endsAt": "2026-12-01T03:30:00Z", "generatorURL": ""}]}
JSON
    out="$(TZ=Asia/Shanghai amtool template render --template.glob="$tmpl" \
      --template.data="$data" \
      --template.text='{{ template "baton.subject" . }}|{{ template "baton.text" . }}')" ||
      fail "amtool template render: $out"
    echo "$out"
    for want in '[1 个异常 open] 订单 Order SO-1' '质检不合格 / qc_failed · 高 / high' \
      '客户 Customer: C-1001 Nordfassaden GmbH (key)' '负责部门 Department: 生产部 / production' \
      '已确认 Acknowledged: anna: re-run planned' '发生时间 Raised: 2026-12-01 10:00 CST' \
      'http://127.0.0.1:7780/order/SO-1' '已解决 Resolved:' '信用冻结 / credit_hold' \
      '已解决 Resolved: 2026-12-01 11:30 CST'; do
      grep -qF -- "$want" <<<"$out" || fail "the text lacks '$want'"
    done
    html="$(amtool template render --template.type=html --template.glob="$tmpl" \
      --template.data="$data" --template.text='{{ template "baton.html" . }}')" ||
      fail "amtool template render (html): $html"
    grep -qF 'border-left: 4px solid #e65100' <<<"$html" || fail "html: no colour for high: $html"
    grep -qF 'border-left: 4px solid #2e7d32' <<<"$html" || fail "html: no colour for resolved"
    ;;
  prometheus_rules)
    need promtool prometheus
    promtool check rules "$rules_dir/baton-rules.yml" || fail "promtool check rules"
    promtool test rules "$rules_dir/baton-rules.test.yml" || fail "promtool test rules"
    ;;
  prometheus_config)
    need promtool prometheus
    promtool check config "$rules_dir/prometheus.yml" || fail "promtool check config"
    ;;
  *)
    echo "unknown case '$case_name'"
    exit 2
    ;;
esac
echo "PASS: $case_name"
