/** The block explorer API of a manager (docs/explorer.md): source, HTTP server, client and the wallet's light sync. */
export { ExplorerError, type ExplorerErrorCode, errorReply, type ErrorReply } from './errors.ts';
export type {
  AccountProof,
  AccountSummary,
  BlockEntry,
  ExplorerSource,
  GenesisInfo,
  HeadInfo,
  HeaderEntry,
  RingInfo,
  TxEntry,
  UnityRole,
} from './source.ts';
export { explorerSource, type ExplorerSourceOptions } from './ledger-source.ts';
export { PAGE_HTML } from './page.ts';
export { type RingMapProvider, ringMapView } from './ring-map.ts';
export type { FleetDevice, FleetProvider } from './fleet-view.ts';
export { DEFAULT_EXPLORER_PORT, ExplorerServer, type ExplorerServerOptions, MAX_BODY_BYTES } from './http.ts';
export {
  type AccountJson,
  type BlockJson,
  ExplorerClient,
  type ExplorerClientOptions,
  type GenesisJson,
  type HeadJson,
  type HeadersJson,
  type TxJson,
} from './client.ts';
export { fetchGenesis, followHeaders, type TrustedGenesis, type VerifiedAccount, verifiedAccount } from './light-sync.ts';
