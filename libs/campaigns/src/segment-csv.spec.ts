import { CampaignError } from './campaigns.errors';
import { parseSegmentCsv } from './segment-csv';

function refusal(csv: string): CampaignError {
  try {
    parseSegmentCsv(csv);
  } catch (error) {
    if (error instanceof CampaignError) return error;
    throw error;
  }
  throw new Error('expected a CampaignError');
}

describe('parseSegmentCsv', () => {
  it('reads key, name, ;-separated locales, a JSON attributes column and attributes.* columns', () => {
    const csv = [
      'key,name,locales,attributes,attributes.scene,attributes.city.name',
      'runners,Runners,en-US;de-DE,"{""distanceKm"": 10, ""scene"": ""x""}",a forest trail,Portland',
      'commuters,"Commuters, city",de-DE,,,',
    ].join('\n');
    expect(parseSegmentCsv(csv)).toEqual([
      {
        line: 2,
        key: 'runners',
        name: 'Runners',
        locales: ['en-US', 'de-DE'],
        attributes: { distanceKm: 10, scene: 'a forest trail', city: { name: 'Portland' } },
      },
      { line: 3, key: 'commuters', name: 'Commuters, city', locales: ['de-DE'], attributes: {} },
    ]);
  });

  it('names an unknown or reserved column', () => {
    expect(refusal('key,name,locales,colour\na,b,en-US,red').extras.field).toBe('columns[3]');
    expect(refusal('key,name,locales,attributes.__proto__.x\na,b,en-US,1').extras.field).toBe('columns[3]');
    expect(refusal('key,name\na,b').extras.field).toBe('columns');
  });

  it('names the row whose attributes are not a JSON object', () => {
    const error = refusal('key,name,locales,attributes\na,A,en-US,{}\nb,B,en-US,[1]');
    expect(error.extras).toMatchObject({ field: 'rows[1].attributes', line: 3 });
    expect(refusal('key,name,locales,attributes\na,A,en-US,{oops').extras.field).toBe('rows[0].attributes');
  });

  it('refuses a file that is not CSV or has no rows', () => {
    expect(refusal('key,name,locales\na,"unclosed,en-US').code).toBe('invalid_csv');
    expect(refusal('key,name,locales\na,b').extras.field).toBe('body');
    expect(refusal('key,name,locales\n').extras.field).toBe('body');
  });
});
