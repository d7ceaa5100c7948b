// FHIR resources in words: what a patient sees of an Observation (its name,
// value, unit, reference range and date) and of the other common clinical
// resources, with the raw JSON a click away in the viewer.

const text = (cc) => cc?.text ?? cc?.coding?.find((c) => c.display)?.display ?? cc?.coding?.[0]?.code;
const quantity = (q) => (q && q.value !== undefined ? `${q.value}${q.unit ?? q.code ? ' ' + (q.unit ?? q.code) : ''}` : undefined);
const when = (s) => {
  const d = typeof s === 'string' ? new Date(s) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleString() : s;
};

function observationValue(o) {
  return quantity(o.valueQuantity) ?? o.valueString ?? text(o.valueCodeableConcept) ??
    (o.valueBoolean !== undefined ? String(o.valueBoolean) : undefined) ?? o.valueInteger?.toString();
}

function range(r) {
  if (!r) return undefined;
  if (r.text) return r.text;
  const low = quantity(r.low), high = quantity(r.high);
  return low && high ? `${low} to ${high}` : low ? `at least ${low}` : high ? `at most ${high}` : undefined;
}

// describe returns [label, value] pairs for a FHIR resource, or null if r is
// not one this page knows; the first pair names the resource.
export function describe(r) {
  if (!r || typeof r.resourceType !== 'string') return null;
  const rows = (...pairs) => pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  switch (r.resourceType) {
    case 'Observation':
      return rows(['Observation', text(r.code)], ['Value', observationValue(r)],
        ['Reference range', range(r.referenceRange?.[0])], ['Interpretation', text(r.interpretation?.[0])],
        ['Date', when(r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.issued)], ['Status', r.status]);
    case 'Condition':
      return rows(['Condition', text(r.code)], ['Status', text(r.clinicalStatus)],
        ['Since', when(r.onsetDateTime)], ['Recorded', when(r.recordedDate)]);
    case 'MedicationStatement':
    case 'MedicationRequest':
      return rows([r.resourceType === 'MedicationRequest' ? 'Prescription' : 'Medication', text(r.medicationCodeableConcept)],
        ['Dose', r.dosage?.[0]?.text ?? r.dosageInstruction?.[0]?.text], ['Status', r.status],
        ['Date', when(r.authoredOn ?? r.effectiveDateTime)]);
    case 'AllergyIntolerance':
      return rows(['Allergy', text(r.code)], ['Reaction', text(r.reaction?.[0]?.manifestation?.[0])],
        ['Criticality', r.criticality], ['Status', text(r.clinicalStatus)]);
    case 'Immunization':
      return rows(['Immunization', text(r.vaccineCode)], ['Date', when(r.occurrenceDateTime)], ['Status', r.status]);
    case 'DiagnosticReport':
      return rows(['Report', text(r.code)], ['Conclusion', r.conclusion], ['Date', when(r.effectiveDateTime ?? r.issued)],
        ['Status', r.status]);
    case 'DocumentReference':
      return rows(['Document', r.description ?? text(r.type)], ['Date', when(r.date)], ['Status', r.status]);
    case 'Patient': {
      const n = r.name?.[0];
      const name = n?.text ?? [...(n?.given ?? []), n?.family].filter(Boolean).join(' ');
      return rows(['Patient', name], ['Born', r.birthDate], ['Gender', r.gender]);
    }
    default:
      return rows([r.resourceType, text(r.code) ?? r.id]);
  }
}

// parse returns the FHIR resource in text, or null if it is not one.
export function parse(textValue) {
  try {
    const r = JSON.parse(textValue);
    return r && typeof r === 'object' && typeof r.resourceType === 'string' ? r : null;
  } catch {
    return null;
  }
}
