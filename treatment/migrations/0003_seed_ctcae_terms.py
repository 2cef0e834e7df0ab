"""Seed the CTCAE v5.0 reference list with terms common in AML salvage therapy."""

from django.db import migrations

TERMS = [
    ("Anemia", "Blood and lymphatic system disorders"),
    ("Febrile neutropenia", "Blood and lymphatic system disorders"),
    ("Disseminated intravascular coagulation", "Blood and lymphatic system disorders"),
    ("Neutrophil count decreased", "Investigations"),
    ("Platelet count decreased", "Investigations"),
    ("White blood cell decreased", "Investigations"),
    ("Alanine aminotransferase increased", "Investigations"),
    ("Aspartate aminotransferase increased", "Investigations"),
    ("Blood bilirubin increased", "Investigations"),
    ("Creatinine increased", "Investigations"),
    ("Ejection fraction decreased", "Investigations"),
    ("Hyperglycemia", "Metabolism and nutrition disorders"),
    ("Hypokalemia", "Metabolism and nutrition disorders"),
    ("Anorexia", "Metabolism and nutrition disorders"),
    ("Tumor lysis syndrome", "Metabolism and nutrition disorders"),
    ("Sepsis", "Infections and infestations"),
    ("Lung infection", "Infections and infestations"),
    ("Catheter related infection", "Infections and infestations"),
    ("Enterocolitis infectious", "Infections and infestations"),
    ("Skin infection", "Infections and infestations"),
    ("Nausea", "Gastrointestinal disorders"),
    ("Vomiting", "Gastrointestinal disorders"),
    ("Diarrhea", "Gastrointestinal disorders"),
    ("Mucositis oral", "Gastrointestinal disorders"),
    ("Gastric ulcer", "Gastrointestinal disorders"),
    ("Upper gastrointestinal hemorrhage", "Gastrointestinal disorders"),
    ("Fever", "General disorders and administration site conditions"),
    ("Fatigue", "General disorders and administration site conditions"),
    ("Injection site reaction", "General disorders and administration site conditions"),
    ("Edema limbs", "General disorders and administration site conditions"),
    ("Heart failure", "Cardiac disorders"),
    ("Atrial fibrillation", "Cardiac disorders"),
    ("Hypertension", "Vascular disorders"),
    ("Hypotension", "Vascular disorders"),
    ("Thromboembolic event", "Vascular disorders"),
    ("Intracranial hemorrhage", "Nervous system disorders"),
    ("Headache", "Nervous system disorders"),
    ("Insomnia", "Psychiatric disorders"),
    ("Psychosis", "Psychiatric disorders"),
    ("Rash maculo-papular", "Skin and subcutaneous tissue disorders"),
    ("Alopecia", "Skin and subcutaneous tissue disorders"),
    ("Dyspnea", "Respiratory, thoracic and mediastinal disorders"),
    ("Pneumonitis", "Respiratory, thoracic and mediastinal disorders"),
    ("Acute kidney injury", "Renal and urinary disorders"),
    ("Muscle weakness lower limb", "Musculoskeletal and connective tissue disorders"),
    ("Cushingoid", "Endocrine disorders"),
    ("Death NOS", "General disorders and administration site conditions"),
]


def seed(apps, schema_editor):
    CtcaeTerm = apps.get_model("treatment", "CtcaeTerm")
    for term, soc in TERMS:
        CtcaeTerm.objects.get_or_create(term=term, defaults={"soc": soc})


class Migration(migrations.Migration):
    dependencies = [("treatment", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
