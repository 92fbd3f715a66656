/**
 * ECR Public's repository catalog data: what the gallery shows of a public repository. Checked as
 * ECR Public's model and API reference say (description ≤ 1,024 characters, about and usage text
 * ≤ 25,600, at most 50 architectures from `ARM`, `ARM 64`, `x86`, `x86-64` and 50 operating
 * systems from `Linux`, `Windows`, a PNG logo of at most 512,000 bytes) and kept as JSON text.
 *
 * The logo is kept but not served: crossdock has no gallery yet, so answers carry no `logoUrl`
 * rather than a URL that leads nowhere.
 */
import { ecrErrors as E } from '../errors.js';

/** `RepositoryCatalogDataInput` as decoded (`logoImageBlob` as bytes). */
export interface CatalogDataIn {
  description?: string;
  architectures?: string[];
  operatingSystems?: string[];
  logoImageBlob?: Uint8Array;
  aboutText?: string;
  usageText?: string;
}

/** `RepositoryCatalogData` as ECR Public answers it. */
export interface CatalogDataOut {
  description?: string;
  architectures?: string[];
  operatingSystems?: string[];
  aboutText?: string;
  usageText?: string;
  marketplaceCertified: boolean;
}

/** What is kept: the input's text members, and the logo in base64. */
export interface StoredCatalog {
  description?: string;
  architectures?: string[];
  operatingSystems?: string[];
  logoPngBase64?: string;
  aboutText?: string;
  usageText?: string;
}

const ARCHITECTURES = ['ARM', 'ARM 64', 'x86', 'x86-64'];
const OPERATING_SYSTEMS = ['Linux', 'Windows'];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const LOGO_MAX = 512_000;

function maxLength(member: string, value: string | undefined, max: number): void {
  if (value !== undefined && value.length > max)
    throw E.invalidParameter(`catalogData.${member}`, `must have length less than or equal to ${max}`);
}

function oneOf(member: string, values: string[] | undefined, allowed: readonly string[]): void {
  if (values === undefined) return;
  if (values.length > 50)
    throw E.invalidParameter(`catalogData.${member}`, 'must have length less than or equal to 50');
  for (const v of values) {
    if (!allowed.includes(v))
      throw E.invalidParameter(`catalogData.${member}`, `must contain only ${allowed.join(', ')}`);
  }
}

/** Checks catalog data and returns what is kept of it. */
export function checkCatalogData(c: CatalogDataIn): StoredCatalog {
  maxLength('description', c.description, 1024);
  maxLength('aboutText', c.aboutText, 25_600);
  maxLength('usageText', c.usageText, 25_600);
  oneOf('architectures', c.architectures, ARCHITECTURES);
  oneOf('operatingSystems', c.operatingSystems, OPERATING_SYSTEMS);
  let logo: string | undefined;
  if (c.logoImageBlob !== undefined && c.logoImageBlob.length > 0) {
    const bytes = Buffer.from(c.logoImageBlob);
    if (bytes.length > LOGO_MAX)
      throw E.invalidParameter(
        'catalogData.logoImageBlob',
        `must have length less than or equal to ${LOGO_MAX}`,
      );
    if (!bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE))
      throw E.invalidParameter('catalogData.logoImageBlob', 'must be a PNG image');
    logo = bytes.toString('base64');
  }
  return {
    ...(c.description !== undefined && { description: c.description }),
    ...(c.architectures !== undefined && { architectures: [...new Set(c.architectures)] }),
    ...(c.operatingSystems !== undefined && { operatingSystems: [...new Set(c.operatingSystems)] }),
    ...(logo !== undefined && { logoPngBase64: logo }),
    ...(c.aboutText !== undefined && { aboutText: c.aboutText }),
    ...(c.usageText !== undefined && { usageText: c.usageText }),
  };
}

/** The catalog data a repository keeps (none: `{}`). */
export function parseStoredCatalog(text: string | undefined): StoredCatalog {
  return text === undefined ? {} : (JSON.parse(text) as StoredCatalog);
}

/** The answer's `catalogData`, members in the model's order. */
export function catalogDataOut(c: StoredCatalog): CatalogDataOut {
  return {
    ...(c.description !== undefined && { description: c.description }),
    ...(c.architectures !== undefined && { architectures: [...c.architectures] }),
    ...(c.operatingSystems !== undefined && { operatingSystems: [...c.operatingSystems] }),
    ...(c.aboutText !== undefined && { aboutText: c.aboutText }),
    ...(c.usageText !== undefined && { usageText: c.usageText }),
    marketplaceCertified: false,
  };
}
