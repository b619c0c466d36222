/**
 * What a request costs (SPEC §6 item 5 "Prices are ledger parameters"), computed the same way by the client that
 * signs the receipt and the worker that checks it — both from the parameters of the ledger's final state, so they
 * agree without talking about it. Storage and bandwidth are paid in ABC micro-units, messages in ABIT micro-units
 * (§7): a blob request goes on the client's ABC channel, a message on its ABIT channel.
 */
import type { LedgerParams } from '../ledger/index.ts';

export type Prices = Pick<LedgerParams, 'priceStorageKibDay' | 'priceServedKib' | 'priceComputeUnit' | 'priceMessage'>;

/** Billing unit of bytes: started KiB (a 1-byte chunk costs one KiB, as the workload unit of §7.2.1 counts). */
export function kib(bytes: number): bigint {
  return BigInt(Math.ceil(bytes / 1024));
}

/** Keeping `bytes` for `days` (at least one day is charged: a put is a promise to keep it). */
export function storePrice(prices: Prices, bytes: number, days: number): bigint {
  return kib(bytes) * prices.priceStorageKibDay * BigInt(Math.max(1, days));
}

/** Serving `bytes` back to a client. */
export function servePrice(prices: Prices, bytes: number): bigint {
  return kib(bytes) * prices.priceServedKib;
}

/** Relaying one message (its envelope is stored until the recipient acknowledges it). */
export function messagePrice(prices: Prices): bigint {
  return prices.priceMessage;
}
