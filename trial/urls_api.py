from trial.apis import accounts, history, screening, treatment

urlpatterns = [
    *accounts.urlpatterns,
    *screening.urlpatterns,
    *history.urlpatterns,
    *treatment.urlpatterns,
]
