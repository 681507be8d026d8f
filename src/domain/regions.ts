/**
 * England's regions (ITL1 codes) as GIAS names them in `GOR (name)`. The GIAS import makes sure
 * they exist, so an empty database gets them with its first schools; names are matched without
 * regard to case ("Yorkshire and the Humber" / "Yorkshire and The Humber").
 */
export const ENGLISH_REGIONS: readonly { code: string; name: string }[] = [
  { code: 'E12000001', name: 'North East' },
  { code: 'E12000002', name: 'North West' },
  { code: 'E12000003', name: 'Yorkshire and The Humber' },
  { code: 'E12000004', name: 'East Midlands' },
  { code: 'E12000005', name: 'West Midlands' },
  { code: 'E12000006', name: 'East of England' },
  { code: 'E12000007', name: 'London' },
  { code: 'E12000008', name: 'South East' },
  { code: 'E12000009', name: 'South West' },
];

/** The key a region name is matched on. */
export function regionKey(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, ' ');
}
