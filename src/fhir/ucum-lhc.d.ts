/**
 * The part of `@lhncbc/ucum-lhc` (7.x, ships no typings) that src/fhir/ucum.ts uses. Shapes from
 * the library's JSDoc in source/ucumLhcUtils.js; fields not read here are left out.
 */
declare module '@lhncbc/ucum-lhc' {
  /** A parsed unit (the library's `Unit` class); only what we read. */
  export interface UcumUnit {
    csCode_: string;
    name_: string;
    /** A unit converted by a function (Cel, pH, …), not by a factor. */
    isSpecial_: boolean;
  }

  export interface UcumValidateResult {
    /** `valid` only when the string is exactly a UCUM expression (no substitution such as "pound" → [lb_av]). */
    status: 'valid' | 'invalid' | 'error';
    ucumCode: string | null;
    msg: string[];
    unit?: { code: string; name: string; guidance: string };
  }

  export interface UcumConvertResult {
    status: 'succeeded' | 'failed' | 'error';
    toVal: number | null;
    msg: string[];
    fromUnit?: UcumUnit;
    toUnit?: UcumUnit;
  }

  export class UcumLhcUtils {
    static getInstance(): UcumLhcUtils;
    validateUnitString(uStr: string, suggest?: boolean, valConv?: 'validate' | 'convert'): UcumValidateResult;
    convertUnitTo(
      fromUnitCode: string,
      fromVal: number,
      toUnitCode: string,
      options?: { suggest?: boolean; molecularWeight?: number; charge?: number },
    ): UcumConvertResult;
  }
}
