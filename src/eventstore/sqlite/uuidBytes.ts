/** Event ids are stored as 16-byte blobs (the writer converts in SQL with `unhex(?, '-')`; the bench floors here). */
export const uuidToBytes = (id: string): Buffer => Buffer.from(id.replaceAll('-', ''), 'hex');

/** The canonical dashed form of 32 lower-case hex digits (what `lower(hex(id))` returns). */
export const hexToUuid = (hex: string): string => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
