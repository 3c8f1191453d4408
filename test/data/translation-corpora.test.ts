/** Built-in Quran pairs: alignment, real content, bracket handling, and splits by verse or chapter. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripBrackets } from '../../src/data/quran.js';
import { SPLITS } from '../../src/data/split.js';
import { loadTranslationPairs, quranSplitKey } from '../../src/data/translation-corpora.js';
import { isTlcError } from '../../src/errors/index.js';

describe('Quran en-fr', () => {
  const pairs = loadTranslationPairs({ pair: 'en-fr' });

  it('has 6236 aligned verses, in order, with non-empty sides', () => {
    assert.equal(pairs.length, 6236);
    assert.equal(new Set(pairs.map((p) => p.id)).size, 6236);
    assert.equal(pairs[0]!.id, '1:1');
    assert.equal(pairs.at(-1)!.id, '114:6');
    for (const p of pairs) {
      assert.match(p.id, /^\d{1,3}:\d{1,3}$/);
      assert.ok(p.source.trim().length > 0 && p.target.trim().length > 0, p.id);
    }
    assert.equal(loadTranslationPairs(), pairs, 'en-fr is the default, and cached');
  });

  it('holds the real text of known verses', () => {
    const byId = new Map(pairs.map((p) => [p.id, p]));
    assert.deepEqual(byId.get('1:1'), {
      id: '1:1',
      source: 'In the name of Allah, the Entirely Merciful, the Especially Merciful',
      target: "Au nom d'Allah, le Tout Miséricordieux, le Très Miséricordieux",
    });
    assert.equal(byId.get('1:2')!.source, 'All praise is due to Allah, Lord of the worlds');
    assert.equal(byId.get('1:2')!.target, "Louange à Allah, Seigneur de l'univers");
    assert.equal(byId.get('112:1')!.source, 'Say, "He is Allah, who is One');
    assert.equal(byId.get('112:1')!.target, 'Dis: «Il est Allah, Unique');
  });

  it('unwraps translator brackets by default and keeps them on request', () => {
    assert.ok(pairs.every((p) => !/[[\]]/.test(p.source) && !/[[\]]/.test(p.target)));
    const kept = loadTranslationPairs({ pair: 'en-fr', brackets: 'keep' });
    assert.equal(kept[1]!.source, '[All] praise is [due] to Allah, Lord of the worlds');
    assert.equal(
      kept[4]!.target,
      "C'est Toi [Seul] que nous adorons, et c'est Toi [Seul] dont nous implorons secours",
    );
    assert.equal(stripBrackets('you, [O Muhammad], and [ right ]'), 'you, O Muhammad, and right');
  });

  it('splits by verse: deterministic, disjoint, complete, 5% ± 2% each', () => {
    const parts = SPLITS.map((split) => loadTranslationPairs({ pair: 'en-fr', split }));
    const ids = parts.flatMap((p) => p.map((x) => x.id));
    assert.equal(ids.length, 6236);
    assert.equal(new Set(ids).size, 6236);
    const [, validation, test] = parts;
    for (const part of [validation!, test!]) assert.ok(Math.abs(part.length / 6236 - 0.05) <= 0.02);
    assert.deepEqual(loadTranslationPairs({ pair: 'en-fr', split: 'test' }), test);
  });

  it('splits by chapter on request, keeping every chapter in one split', () => {
    const chapterOf = (id: string) => id.split(':')[0]!;
    const home = new Map<string, string>();
    let total = 0;
    for (const split of SPLITS) {
      const part = loadTranslationPairs({ pair: 'en-fr', split, splitBy: 'chapter' });
      total += part.length;
      for (const p of part) {
        const c = chapterOf(p.id);
        assert.equal(home.get(c) ?? split, split, `chapter ${c} straddles splits`);
        home.set(c, split);
      }
    }
    assert.equal(total, 6236);
    assert.equal(home.size, 114);
    assert.equal(quranSplitKey('2:255', 'chapter'), 'quran:2');
    assert.equal(quranSplitKey('2:255'), 'quran:2:255');
  });
});

describe('Quran en-es', () => {
  it('is aligned with real Spanish text and shares en-fr verse splits', () => {
    const pairs = loadTranslationPairs({ pair: 'en-es' });
    assert.equal(pairs.length, 6236);
    assert.equal(
      pairs[0]!.target,
      'En el nombre de Dios, el Compasivo con toda la creación, el Misericordioso con los creyentes',
    );
    assert.equal(pairs[1]!.target, 'Todas las alabanzas son para Dios, Señor de todo cuanto existe');
    assert.ok(pairs.every((p) => p.target.length > 0));
    const fr = loadTranslationPairs({ pair: 'en-fr' });
    assert.ok(pairs.every((p, i) => p.id === fr[i]!.id && p.source === fr[i]!.source));
    const ids = (pair: 'en-fr' | 'en-es') => loadTranslationPairs({ pair, split: 'test' }).map((p) => p.id);
    assert.deepEqual(ids('en-es'), ids('en-fr'));
  });

  it('rejects unknown pairs and options with CONFIG_INVALID', () => {
    for (const options of [{ pair: 'en-de' }, { brackets: 'drop' }, { splitBy: 'surah' }, { split: 'dev' }])
      assert.throws(
        () => loadTranslationPairs(options as never),
        (e) => isTlcError(e) && e.code === 'CONFIG_INVALID',
      );
  });
});
