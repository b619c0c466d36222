/**
 * The JSON shapes of the explorer API (docs/explorer.md "Endpoints"), built from the source's typed values.
 * Everything goes through toJson, so bigints leave as decimal strings and bytes as hex.
 */
import { toHex } from '../../crypto/index.ts';
import { type BlockHeader, type Certificate, decodeBlock, decodeTx, signerAddress, txHash, txSignerClass } from '../../ledger/index.ts';
import { encodeCbor, type CborValue } from '../../wire/index.ts';
import type { BlockSummary } from '../chain-store.ts';
import { type Json, toJson } from './json.ts';
import type { AccountProof, BlockEntry, GenesisInfo, HeadInfo, HeaderEntry, TxEntry } from './source.ts';

export function certificateView(certificate: Certificate): Json {
  return certificate.map(({ member, sig }) => ({ member: toHex(member), sig: toHex(sig) }));
}

export function headerView(header: BlockHeader): Json {
  return toJson(header);
}

export function headView(head: HeadInfo): Json {
  return toJson({
    chainId: head.chainId,
    height: head.height,
    hash: head.hash,
    stateRoot: head.stateRoot,
    time: head.time,
    kind: head.header?.kind ?? 'genesis',
    certified: head.certificate.length > 0,
  });
}

export function genesisView(genesis: GenesisInfo): Json {
  const { config } = genesis;
  return toJson({
    id: genesis.id,
    chainName: config.chainName,
    time: config.time,
    supply: config.supply,
    managers: config.managers,
    stateRoot: genesis.stateRoot,
    encoding: genesis.encoding,
  });
}

export function summaryView(block: BlockSummary): Json {
  const { header } = block;
  return toJson({
    height: block.height,
    hash: block.hash,
    time: block.time,
    kind: header.kind,
    txCount: block.txCount,
    proposer: header.proposer,
    stateRoot: header.stateRoot,
    certified: block.certificate.length > 0,
    signatures: block.certificate.length,
  });
}

/** A header for light clients: the header's own encoding (decodeHeader it; hash it) and its certificate. */
export function headerEntryView(entry: HeaderEntry): Json {
  return toJson({
    height: entry.height,
    hash: entry.hash,
    header: encodeCbor(entry.header as unknown as CborValue),
    certificate: certificateView(entry.certificate),
    ...(entry.managersProof === undefined ? {} : { managersProof: entry.managersProof }),
    ...(entry.txs === undefined ? {} : { txs: entry.txs }),
  });
}

interface TxSummary {
  kind: string;
  signer: string;
  nonce: bigint;
  fee: bigint;
  body: unknown;
}

/** Kind, signer (an address for account kinds, else the signer key), nonce, fee and body of an encoded transaction. */
function describeTx(bytes: Uint8Array): TxSummary | undefined {
  try {
    const tx = decodeTx(bytes, bytes.length);
    const signer = txSignerClass(tx) === 'account' ? signerAddress(tx) : `${tx.signer.scheme}:${toHex(tx.signer.key)}`;
    return { kind: tx.kind, signer, nonce: tx.nonce, fee: tx.fee, body: tx.body };
  } catch {
    return undefined; // a stored block was applied, so its transactions decode; this is only for a damaged store
  }
}

export function blockView(block: BlockEntry): Json {
  const full = decodeBlock(block.bytes);
  const txs = full.txs.map((bytes, index) => {
    const hash = txHash(bytes);
    const described = describeTx(bytes);
    const code = block.outcomes[index]?.code ?? null;
    return { index, hash, ok: code === null, code, size: bytes.length, ...(described === undefined ? {} : { ...described, body: undefined }) };
  });
  return toJson({
    height: block.height,
    hash: block.hash,
    time: block.time,
    size: block.bytes.length,
    header: block.header,
    certificate: certificateView(block.certificate),
    parentCertificate: certificateView(full.parentCertificate),
    txs,
  });
}

export function txView(entry: TxEntry): Json {
  return toJson({
    hash: entry.hash,
    status: 'final',
    height: entry.height,
    index: entry.index,
    blockHash: entry.blockHash,
    ok: entry.code === null,
    code: entry.code,
    message: entry.message,
    size: entry.bytes.length,
    ...describeTx(entry.bytes),
    encoding: entry.bytes,
  });
}

export function accountView(proof: AccountProof): Json {
  const record = proof.record;
  return toJson({
    address: proof.address,
    height: proof.height,
    root: proof.root,
    proof: proof.proof,
    balance: record?.abc ?? 0n,
    spendable: proof.spendable,
    abit: record?.abit ?? 0n,
    nonce: record?.nonce ?? 0n,
    options: record?.options ?? [],
    receivedAbit: record?.receivedAbit ?? 0n,
    periodIncome: record?.periodIncome ?? 0n,
    bad: record?.bad ?? false,
  });
}
