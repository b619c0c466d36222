/**
 * The network page's accounts panel (browser JavaScript as text; page.ts inlines it before page-script.ts): the
 * accounts holding the most ABC (GET /api/accounts), with what is spendable now (the rest is frozen options and
 * deposits), their ABIT, and whose payout account each is (the node records' `account`). Amounts are micro-units
 * as decimal strings, shown as units with six decimals, by BigInt so nothing rounds. Strings go through textContent.
 */
export const PAGE_ACCOUNTS_SCRIPT = String.raw`
'use strict';
const AmeAccounts = (function () {
  function units(micro) {
    const v = BigInt(micro);
    const sign = v < 0n ? '-' : '';
    const a = v < 0n ? -v : v;
    return sign + (a / 1000000n).toString() + '.' + (a % 1000000n).toString().padStart(6, '0');
  }

  /** What a payout account is paid for: the roles of the nodes naming it. */
  function owners(nodes) {
    const by = new Map();
    for (const n of nodes) {
      if (!n.account) continue;
      const roles = by.get(n.account) || new Map();
      roles.set(n.role, (roles.get(n.role) || 0) + 1);
      by.set(n.account, roles);
    }
    return function (address) {
      const roles = by.get(address);
      if (!roles) return '';
      return Array.from(roles.entries()).map(function (e) { return e[1] > 1 ? e[1] + ' ' + e[0] + 's' : e[0]; }).join(', ');
    };
  }

  async function poll(get, nodes, short, fill) {
    const list = await get('api/accounts?limit=12');
    const owner = owners(nodes);
    fill(document.getElementById('accounts').tBodies[0], list.accounts.map(function (a) {
      return [{ text: short(a.address) }, { text: owner(a.address) || '–' }, { text: units(a.abc), num: true }, { text: units(a.spendable), num: true }, { text: units(a.abit), num: true }];
    }));
    document.getElementById('accounts-note').textContent = list.count + ' accounts on the ledger; the ' + list.accounts.length + ' holding the most ABC';
  }

  return { poll: poll, units: units };
})();
`;
